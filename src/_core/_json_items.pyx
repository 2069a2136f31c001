# cython: language_level=3, boundscheck=False, wraparound=False
"""Where the items of a JSON `List` are in its text, without parsing them.

`scan(data)` finds the array under the top-level object's first "items" key and, for each
item that is an object, its span and the span of the text of its `metadata.name` when that
string is written plainly in the characters a DNS name may hold (a-z, 0-9, '.', '-').
It only tokenises strings and brackets: whether the text is valid JSON is for the parser
to say (kubesched.model.json_lists parses what it keeps of the text)."""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE


cdef inline Py_ssize_t _space(const unsigned char* p, Py_ssize_t i, Py_ssize_t n) noexcept nogil:
    while i < n and (p[i] == 32 or p[i] == 10 or p[i] == 13 or p[i] == 9):
        i += 1
    return i


cdef inline Py_ssize_t _string_end(const unsigned char* p, Py_ssize_t i, Py_ssize_t n) noexcept nogil:
    """The index after the closing quote of the string whose opening quote is at i; -1 if none."""
    i += 1
    while i < n:
        if p[i] == 34:
            return i + 1
        if p[i] == 92:
            i += 1
        i += 1
    return -1


cdef inline bint _is(const unsigned char* p, Py_ssize_t start, Py_ssize_t end, bytes word) noexcept:
    cdef Py_ssize_t k = PyBytes_GET_SIZE(word), j
    cdef const unsigned char* w = <const unsigned char*> PyBytes_AS_STRING(word)
    if end - start != k:
        return False
    for j in range(k):
        if p[start + j] != w[j]:
            return False
    return True


cdef inline Py_ssize_t _value_start(const unsigned char* p, Py_ssize_t end, Py_ssize_t n) noexcept nogil:
    """Where the value starts when the string ending at `end` is an object's key; -1 if not a key."""
    end = _space(p, end, n)
    if end >= n or p[end] != 58:  # ':'
        return -1
    return _space(p, end + 1, n)


cdef inline bint _name_char(unsigned char c) noexcept nogil:
    return (97 <= c <= 122) or (48 <= c <= 57) or c == 45 or c == 46


def scan(bytes data):
    """(items_open, items_close, spans): the offsets of the items array's '[' and ']', and
    per item (start, end, name_start, name_end), name_start -1 where the name is not plain.
    None when the text is not a top-level object with an "items" array of objects, as far
    as brackets and strings tell."""
    cdef const unsigned char* p = <const unsigned char*> PyBytes_AS_STRING(data)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(data)
    cdef Py_ssize_t i = _space(p, 0, n), end, opened = -1, closed = -1
    cdef Py_ssize_t depth, start, name_start, name_end, j, k
    cdef int meta_depth
    cdef unsigned char c
    if i >= n or p[i] != 123:  # '{'
        return None
    depth = 0
    while i < n:  # the top-level object, up to its first "items" key
        c = p[i]
        if c == 34:
            end = _string_end(p, i, n)
            if end < 0:
                return None
            j = _value_start(p, end, n)
            if depth == 1 and j >= 0 and _is(p, i + 1, end - 1, b"items"):
                if j >= n or p[j] != 91:  # '['
                    return None
                opened = j
                break
            i = end
            continue
        if c == 123 or c == 91:
            depth += 1
        elif c == 125 or c == 93:
            depth -= 1
            if depth == 0:
                return None
        i += 1
    if opened < 0:
        return None
    spans = []
    i = _space(p, opened + 1, n)
    if i < n and p[i] == 93:
        return opened, i, spans
    while True:
        if i >= n or p[i] != 123:
            return None
        start = i
        depth = 0
        meta_depth = 0  # 1 inside the item's own metadata object
        name_start = name_end = -1
        while i < n:
            c = p[i]
            if c == 34:
                end = _string_end(p, i, n)
                if end < 0:
                    return None
                j = _value_start(p, end, n)
                if j >= 0:
                    if depth == 1 and _is(p, i + 1, end - 1, b"metadata"):
                        if j < n and p[j] == 123:
                            meta_depth = 1
                            depth += 1
                            i = j + 1
                            continue
                    elif depth == 2 and meta_depth == 1 and name_start < 0 and _is(p, i + 1, end - 1, b"name"):
                        if j < n and p[j] == 34:
                            k = j + 1
                            while k < n and _name_char(p[k]):
                                k += 1
                            if k < n and p[k] == 34 and k > j + 1:
                                name_start, name_end = j + 1, k
                i = end
                continue
            if c == 123 or c == 91:
                depth += 1
            elif c == 125 or c == 93:
                depth -= 1
                if depth == 1:
                    meta_depth = 0
                elif depth == 0:
                    i += 1
                    break
            i += 1
        if depth != 0:
            return None
        spans.append((start, i, name_start, name_end))
        i = _space(p, i, n)
        if i < n and p[i] == 93:
            closed = i
            break
        if i >= n or p[i] != 44:  # ','
            return None
        i = _space(p, i + 1, n)
    return opened, closed, spans
