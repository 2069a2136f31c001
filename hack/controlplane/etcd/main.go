// Command etcd is the etcd server: etcd's own main package lives in a module whose
// go.mod replaces its siblings with relative paths, so it cannot be built as a dependency.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
