/* stdlib.h for NVRTC, which has no C library headers.  The 12.x cuda.h
 * includes it only for size_t, which NVRTC already defines. */
#ifndef SAGESHIM_RTC_STDLIB_H
#define SAGESHIM_RTC_STDLIB_H
#endif
