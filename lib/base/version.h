/* version.h: the release, printed by `sageshim --version`. */
#ifndef SAGESHIM_VERSION_H
#define SAGESHIM_VERSION_H

#define SAGESHIM_VERSION "0.2.0"

#endif
