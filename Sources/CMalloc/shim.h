// glibc malloc introspection and trimming (mallinfo2, malloc_trim); part of libc, nothing to link.
#include <malloc.h>
