# cython: language_level=3, boundscheck=False, wraparound=False
"""The `placements` array of simulate's JSON answer for pods that all landed, written as
orjson writes it with OPT_INDENT_2 inside the answer's top-level object, without a Python
object per pod (kubesched.sim.batched). The strings written are pod keys and node names,
which validation keeps to characters JSON writes as they are."""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from libc.stdint cimport int32_t, int64_t
from libc.string cimport memcpy

cdef bytes _OPEN = b'\n    {\n      "pod": "'
cdef bytes _NODE = b'",\n      "node": "'
cdef bytes _CLOSE = b'",\n      "message": ""\n    }'


cdef inline char* _put(char* out, const char* text, Py_ssize_t length) noexcept:
    memcpy(out, text, length)
    return out + length


def placements_array(list sources, const int32_t[::1] source, const int64_t[:, ::1] names,
                     list node_names, const int32_t[::1] node):
    """`[...]` of {"pod", "node", "message": ""} per row: the pod's key is its source's
    prefix (`namespace/`) then the text of `names[row]` (start, end) in its source's
    buffer; `sources[k]` is (buffer, prefix) and `node_names[k]` bytes."""
    cdef Py_ssize_t rows = source.shape[0], i, fixed
    cdef list buffers = [b for b, _ in sources], prefixes = [p for _, p in sources]
    fixed = PyBytes_GET_SIZE(_OPEN) + PyBytes_GET_SIZE(_NODE) + PyBytes_GET_SIZE(_CLOSE)
    cdef Py_ssize_t size = 1 + 4 + max(rows - 1, 0)  # the brackets and the commas
    for i in range(rows):
        size += fixed + PyBytes_GET_SIZE(prefixes[source[i]]) + names[i, 1] - names[i, 0] \
            + PyBytes_GET_SIZE(node_names[node[i]])
    cdef bytes result = PyBytes_FromStringAndSize(NULL, size)
    cdef char* out = PyBytes_AS_STRING(result)
    cdef bytes prefix, name
    out = _put(out, "[", 1)
    for i in range(rows):
        if i:
            out = _put(out, ",", 1)
        out = _put(out, PyBytes_AS_STRING(_OPEN), PyBytes_GET_SIZE(_OPEN))
        prefix = prefixes[source[i]]
        out = _put(out, PyBytes_AS_STRING(prefix), PyBytes_GET_SIZE(prefix))
        out = _put(out, PyBytes_AS_STRING(buffers[source[i]]) + names[i, 0], names[i, 1] - names[i, 0])
        out = _put(out, PyBytes_AS_STRING(_NODE), PyBytes_GET_SIZE(_NODE))
        name = node_names[node[i]]
        out = _put(out, PyBytes_AS_STRING(name), PyBytes_GET_SIZE(name))
        out = _put(out, PyBytes_AS_STRING(_CLOSE), PyBytes_GET_SIZE(_CLOSE))
    out = _put(out, "\n  ]", 4)
    return result
