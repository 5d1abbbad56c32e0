# sageshim - see README.md.  Targets:
#   make              library, preload library, command line (under build/)
#   make check        CPU test suites (Check); builds fixtures with nvcc
#   make gpucheck     GPU suite (on a machine with a GPU)
#   make bench        benchmarks (on a machine with a GPU)
#   make install PREFIX=/usr/local DESTDIR=    (make uninstall: the same args)
#   make wheel        build/wheel/sageshim-*.whl (make wheel-aarch64: for GH200)
#   make SANITIZE=address,undefined check   the same under sanitizers
#
# Each directory adds its own rules in module.mk; sources are found by
# wildcard so adding a file needs no edit here.

CC       ?= cc
CXX      ?= c++
# CUDA_HOME's nvcc, else the one on PATH; without one only the hotfix bundle
# is skipped (kernels/module.mk).  The C code needs CUDA_HOME's headers.
NVCC     ?= $(firstword $(wildcard $(CUDA_HOME)/bin/nvcc) nvcc)
CUDA_HOME ?= /usr/local/cuda
PKG_CONFIG ?= pkg-config
PYTHON   ?= python3
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
SANITIZE ?=

# The GPU machine has no libelf headers and no Check: `make gpucheck` and
# `make bench` use the build/ carried there and need none of the checks below;
# nor does installing what is built (`sudo make install` drops CUDA_HOME).
DEPS_PKGS := libelf liblz4 libzstd
NEEDS_DEPS := $(if $(filter-out gpucheck bench clean install uninstall,$(or $(MAKECMDGOALS),all)),yes)

ifeq ($(NEEDS_DEPS),yes)
ifeq ($(wildcard $(CUDA_HOME)/include/cuda.h),)
$(error CUDA headers not found: $(CUDA_HOME)/include/cuda.h is missing. Install the CUDA toolkit or set CUDA_HOME=/path/to/cuda (headers alone will do: README.md, Build without nvcc))
endif
ifeq ($(shell $(PKG_CONFIG) --exists $(DEPS_PKGS) && echo yes),)
$(error pkg-config cannot find $(DEPS_PKGS): install libelf-dev liblz4-dev libzstd-dev (Debian) or set PKG_CONFIG_PATH)
endif
endif

DEPS_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(DEPS_PKGS) 2>/dev/null)
DEPS_LIBS   := $(shell $(PKG_CONFIG) --libs $(DEPS_PKGS) 2>/dev/null)
CHECK_CFLAGS = $(shell $(PKG_CONFIG) --cflags check)
CHECK_LIBS   = $(shell $(PKG_CONFIG) --libs check)

WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS   ?= -O2 -g
SAN_FLAGS := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all)
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -fPIC $(WARN) $(CFLAGS) $(SAN_FLAGS) \
             -I lib -I $(CUDA_HOME)/include $(DEPS_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SAN_FLAGS)

# Lists the module.mk files extend.
ALL_TARGETS :=
CHECK_PROGRAMS :=
CHECK_DEPS :=
INSTALL_LIST :=
INSTALL_CHECKS :=

.PHONY: all check gpucheck bench install uninstall clean fixtures
all:

include $(sort $(wildcard lib/module.mk shim/module.mk tools/module.mk kernels/module.mk \
  packaging/module.mk))
# After lib/module.mk: its rules name CORE_LIB as a prerequisite.
include $(wildcard bench/module.mk)
include $(sort $(wildcard tests/module.mk tests/*/module.mk))

all: $(ALL_TARGETS)
# What install copies from the build (its list is complete only here).
install: $(filter $(BUILD)/%,$(INSTALL_LIST)) $(INSTALL_CHECKS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

check: all $(CHECK_PROGRAMS) $(CHECK_DEPS)
	@BUILD=$(BUILD) sh tests/run-checks.sh $(CHECK_PROGRAMS)

gpucheck:
	sh tests/gpu/gpucheck.sh

bench:
	sh bench/bench.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)
