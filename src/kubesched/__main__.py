from kubesched.cli import entry

entry()
