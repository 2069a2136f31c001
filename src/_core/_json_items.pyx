# cython: language_level=3, boundscheck=False, wraparound=False
"""Where the items of a JSON `List` are in its text, and which repeat one another, without
parsing them.

`scan(data)` finds the array under the top-level object's first "items" key and, for each
item that is an object, its span and the span of the text of its `metadata.name` when that
string is written plainly in the characters a DNS name may hold (a-z, 0-9, '.', '-').
It only tokenises strings and brackets: whether the text is valid JSON is for the parser
to say (kubesched.model.json_lists parses what it keeps of the text).

`text_hashes` (of the text around an item's name, of a name) and `same_shapes` group the
items whose text is the same but for that name (kubesched.model.json_lists) and find repeated
names; `first_bad_name` checks the names (kubesched.model.pod_batches)."""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.mem cimport PyMem_Free, PyMem_Realloc
from libc.stdint cimport int64_t, uint64_t
from libc.string cimport memchr, memcmp, memcpy

import numpy as np


cdef inline Py_ssize_t _space(const unsigned char* p, Py_ssize_t i, Py_ssize_t n) noexcept nogil:
    while i < n and (p[i] == 32 or p[i] == 10 or p[i] == 13 or p[i] == 9):
        i += 1
    return i


cdef inline Py_ssize_t _string_end(const unsigned char* p, Py_ssize_t i, Py_ssize_t n) noexcept nogil:
    """The index after the closing quote of the string whose opening quote is at i; -1 if none:
    the next quote not escaped, that is after an even run of backslashes (memchr: strings
    are most of the text)."""
    cdef const unsigned char* quote
    cdef Py_ssize_t j, k
    i += 1
    while i < n:
        quote = <const unsigned char*> memchr(p + i, 34, n - i)
        if quote == NULL:
            return -1
        j = quote - p
        k = j
        while k > i and p[k - 1] == 92:
            k -= 1
        if (j - k) % 2 == 0:
            return j + 1
        i = j + 1
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


cdef inline int _nesting(unsigned char c) noexcept nogil:
    """+1 for an opening bracket, -1 for a closing one, 0 for another character."""
    if c == 123 or c == 91:
        return 1
    if c == 125 or c == 93:
        return -1
    return 0


cdef inline Py_ssize_t _value_start(const unsigned char* p, Py_ssize_t end, Py_ssize_t n) noexcept nogil:
    """Where the value starts when the string ending at `end` is an object's key; -1 if not a key."""
    end = _space(p, end, n)
    if end >= n or p[end] != 58:  # ':'
        return -1
    return _space(p, end + 1, n)


cdef inline bint _name_char(unsigned char c) noexcept nogil:
    return (97 <= c <= 122) or (48 <= c <= 57) or c == 45 or c == 46


cdef class _Spans:
    """A growing (n, 4) table of int64, as scan finds the items."""
    cdef int64_t* rows
    cdef Py_ssize_t count, capacity

    def __dealloc__(self):
        PyMem_Free(self.rows)

    cdef int add(self, int64_t start, int64_t end, int64_t name_start, int64_t name_end) except -1:
        cdef int64_t* grown
        if self.count == self.capacity:
            self.capacity = max(64, 2 * self.capacity)
            grown = <int64_t*> PyMem_Realloc(self.rows, self.capacity * 4 * sizeof(int64_t))
            if grown == NULL:
                raise MemoryError()
            self.rows = grown
        self.rows[4 * self.count] = start
        self.rows[4 * self.count + 1] = end
        self.rows[4 * self.count + 2] = name_start
        self.rows[4 * self.count + 3] = name_end
        self.count += 1
        return 0

    def array(self):
        table = np.empty((self.count, 4), dtype=np.int64)
        cdef int64_t[:, ::1] view = table
        if self.count:
            memcpy(&view[0, 0], self.rows, self.count * 4 * sizeof(int64_t))
        return table


cdef Py_ssize_t _repeat_end(const unsigned char* p, Py_ssize_t i, Py_ssize_t n, _Spans spans) except -2:
    """When the text at i is the last item's but for a plain name in its name's place, the
    item's end (its span added), else -1. Changing the characters of a plain string to
    other such characters changes no token, so the item's brackets close where the last's did."""
    if spans.count == 0:
        return -1
    cdef int64_t* last = spans.rows + 4 * (spans.count - 1)
    if last[2] < 0:
        return -1
    cdef Py_ssize_t before = last[2] - last[0], after = last[1] - last[3], k
    if i + before > n or memcmp(p + i, p + last[0], before) != 0:
        return -1
    k = i + before
    while k < n and _name_char(p[k]):
        k += 1
    if k == i + before or k + after > n or memcmp(p + k, p + last[3], after) != 0:
        return -1
    spans.add(i, k + after, i + before, k)
    return k + after


cdef inline uint64_t _mix(uint64_t h, const unsigned char* p, Py_ssize_t length) noexcept nogil:
    """h with `length` bytes at p folded in, eight at a time."""
    cdef uint64_t word
    cdef Py_ssize_t k = 0
    while k + 8 <= length:
        memcpy(&word, p + k, 8)
        h = (h ^ word) * 0x9E3779B97F4A7C15ULL
        h ^= h >> 29
        k += 8
    word = 0
    if k < length:
        memcpy(&word, p + k, length - k)
    h = (h ^ word ^ (<uint64_t> length << 56)) * 0xBF58476D1CE4E5B9ULL
    return h ^ (h >> 31)


def same_shapes(bytes data, const int64_t[:, ::1] spans, const int64_t[::1] like):
    """Whether every item's text is its `like` item's but for the name (hashes can collide)."""
    cdef const unsigned char* p = <const unsigned char*> PyBytes_AS_STRING(data)
    cdef Py_ssize_t i, f, before, after
    for i in range(spans.shape[0]):
        f = like[i]
        if f == i:
            continue
        before = spans[i, 2] - spans[i, 0]
        after = spans[i, 1] - spans[i, 3]
        if before != spans[f, 2] - spans[f, 0] or after != spans[f, 1] - spans[f, 3] \
                or memcmp(p + spans[i, 0], p + spans[f, 0], before) != 0 \
                or memcmp(p + spans[i, 3], p + spans[f, 3], after) != 0:
            return False
    return True


def text_hashes(bytes data, const int64_t[:, ::1] names):
    """Per (start, end) row, a hash of the text there."""
    cdef const unsigned char* p = <const unsigned char*> PyBytes_AS_STRING(data)
    hashes = np.empty(names.shape[0], dtype=np.uint64)
    cdef uint64_t[::1] out = hashes
    cdef Py_ssize_t i
    with nogil:
        for i in range(names.shape[0]):
            out[i] = _mix(0x13198A2E03707344ULL, p + names[i, 0], names[i, 1] - names[i, 0])
    return hashes


cdef inline bint _alnum(unsigned char c) noexcept nogil:
    return (97 <= c <= 122) or (48 <= c <= 57)


def first_bad_name(bytes data, const int64_t[:, ::1] names, Py_ssize_t longest):
    """The first row whose text (of scan's name characters) is not a DNS subdomain of at
    most `longest` characters: dot-separated labels, each starting and ending with a letter
    or digit; -1 when every one is."""
    cdef const unsigned char* p = <const unsigned char*> PyBytes_AS_STRING(data)
    cdef Py_ssize_t i, k, start, end
    for i in range(names.shape[0]):
        start, end = names[i, 0], names[i, 1]
        if end <= start or end - start > longest or not _alnum(p[start]) or not _alnum(p[end - 1]):
            return i
        for k in range(start + 1, end - 1):
            if p[k] == 46 and not (_alnum(p[k - 1]) and _alnum(p[k + 1])):
                return i
    return -1


def scan(bytes data):
    """(items_open, items_close, spans): the offsets of the items array's '[' and ']', and
    an (n, 4) int64 array of (start, end, name_start, name_end) per item, name_start -1
    where the name is not plain.
    None when the text is not a top-level object with an "items" array of objects, as far
    as brackets and strings tell."""
    cdef const unsigned char* p = <const unsigned char*> PyBytes_AS_STRING(data)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(data)
    cdef Py_ssize_t i = _space(p, 0, n), end, opened = -1, closed = -1
    cdef Py_ssize_t depth, start, name_start, name_end, j, k
    cdef int meta_depth, step
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
        step = _nesting(c)
        depth += step
        if step < 0 and depth == 0:
            return None
        i += 1
    if opened < 0:
        return None
    cdef _Spans spans = _Spans()
    i = _space(p, opened + 1, n)
    if i < n and p[i] == 93:
        return opened, i, spans.array()
    while True:
        if i >= n or p[i] != 123:
            return None
        start = i
        k = _repeat_end(p, i, n, spans)
        if k >= 0:  # the last item's text with another plain name: it tokenises as that one
            i = k
        else:
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
                step = _nesting(c)
                depth += step
                i += 1
                if step < 0:
                    if depth == 0:
                        break
                    if depth == 1:
                        meta_depth = 0
            if depth != 0:
                return None
            spans.add(start, i, name_start, name_end)
        i = _space(p, i, n)
        if i < n and p[i] == 93:
            closed = i
            break
        if i >= n or p[i] != 44:  # ','
            return None
        i = _space(p, i + 1, n)
    return opened, closed, spans.array()
