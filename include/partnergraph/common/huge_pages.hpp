// Huge-page hints for large, freshly allocated buffers.
//
// On Linux each first touch of a 4 KiB page costs a page fault; in a virtual
// machine that can cost more than the work done on the page (measured on the
// project's machine: 0.48 s of CPU to zero-fill 160 MB, 0.02-0.28 s with
// transparent huge pages). These functions only give hints: when transparent
// huge pages are disabled, or on other systems, they do nothing and the
// program works the same. Thread-safe.
#pragma once

#include <cstddef>

namespace partnergraph {

// Asks the kernel to back the 2 MiB-aligned part of [data, data + bytes) with
// transparent huge pages. Meant for a buffer just reserved and not yet touched
// (e.g. std::vector::reserve of a few MB or more); a no-op below 4 MiB.
void AdviseHugePages(const void* data, std::size_t bytes);

// The same hint for a whole anonymous mapping [mapping, mapping + bytes) (mapping page-aligned,
// as mmap and mremap return it). Unlike AdviseHugePages it marks the whole range, so the kernel
// keeps the mapping in one piece: a mapping split by a partial madvise cannot be grown by one
// mremap (EFAULT), which is how a .csv.gz expanding past a few MB once failed.
void AdviseHugePagesMapping(void* mapping, std::size_t bytes);

}  // namespace partnergraph
