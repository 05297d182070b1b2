// SPDX-License-Identifier: GPL-2.0-only
// The heap's free pages back to the kernel between the large phases of a
// run (passes, the output check), for the peak RSS of a 500K-site image.
#pragma once

#include <cstddef>
#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace rvtramp {

// A phase's scratch arrays (locate's sort keys, the check's byte mask, 8-12
// MiB each at 500K sites) are freed in the middle of the heap, where the
// next phase's differently sized ones do not fit: each added its own to the
// resident heap. Free memory inside the heap (not its top, which the
// rewrite reserved and advised into huge pages, advise_huge_pages_for_heap)
// goes back when there is at least min_free of it; below that the faults
// that bring the pages back cost more than the memory is worth (every
// phase, unconditionally: a 122K-site rewrite took 69 -> 100 ms for 3 MiB).
inline void return_free_heap_pages(size_t min_free = size_t(8) << 20) {
#ifdef __GLIBC__
  const struct mallinfo2 mi = mallinfo2();
  if (mi.fordblks > mi.keepcost && mi.fordblks - mi.keepcost >= min_free)
    malloc_trim(size_t(512) << 20);
#else
  (void)min_free;
#endif
}

} // namespace rvtramp
