# Long inputs against real torch (tests/pieces): the stand-in extension
# modules built by torch.utils.cpp_extension (pybind11 3.x, as torch 2.11
# builds SageAttention's), laid out in three fixture trees, and check_pieces,
# which runs scenario.py in them with and without the preload library.
# Needs torch for $(PYTHON) (the CPU build from PyPI is enough): without it
# the suite is left out, and PIECES_REQUIRE_TORCH=1 (CI) makes that an error.
PIECES_HAVE_TORCH := $(shell $(PYTHON) -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("torch") is None)' 2>/dev/null && echo yes)
ifeq ($(PIECES_HAVE_TORCH)$(PIECES_REQUIRE_TORCH),1)
$(error PIECES_REQUIRE_TORCH is set but $(PYTHON) cannot import torch: pip install torch)
endif

ifeq ($(PIECES_HAVE_TORCH),yes)
PIECES_DIR := $(BUILD)/tests/pieces
PIECES_TREES := v220 68de379 nofake
PIECES_EXT_SUFFIX := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))' 2>/dev/null)
PIECES_PY := $(shell find tests/pieces/fixture -name '*.py')
# One build of the stand-ins serves every BUILD (plain, ASan, TSan): python3
# loads them, never a sanitized program, so they are built the same for all.
PIECES_STANDIN_DIR ?= build-standin
PIECES_STANDIN := $(PIECES_STANDIN_DIR)/sageattention/_fused$(PIECES_EXT_SUFFIX)
PIECES_PRELOAD_FIRST := $(if $(findstring address,$(SANITIZE)),$(shell $(CC) -print-file-name=libasan.so))

# Built once (about a minute: torch's headers) by the host's compiler for
# the host's python3, then copied into each tree.
$(PIECES_STANDIN): tests/pieces/standin.cpp tests/pieces/build_standin.py
	@mkdir -p $(PIECES_STANDIN_DIR)
	$(PYTHON) tests/pieces/build_standin.py $(PIECES_STANDIN_DIR)

# A tree: the common files, the tree's own core.py (and *_compile.py), the
# stand-ins.  nofake/ is v220/ with its _shape.py (no fakes registered).
# Rebuilt whole when any of them changes.
PIECES_BASE_nofake := v220
$(PIECES_DIR)/%/stamp: $(PIECES_STANDIN) $(PIECES_PY)
	rm -rf $(PIECES_DIR)/$*/sageattention
	mkdir -p $(PIECES_DIR)/$*/sageattention
	cp -r tests/pieces/fixture/common/sageattention/. $(PIECES_DIR)/$*/sageattention/
	$(if $(PIECES_BASE_$*),cp tests/pieces/fixture/$(PIECES_BASE_$*)/*.py $(PIECES_DIR)/$*/sageattention/)
	cp tests/pieces/fixture/$*/*.py $(PIECES_DIR)/$*/sageattention/
	cp $(PIECES_STANDIN_DIR)/sageattention/*$(PIECES_EXT_SUFFIX) $(PIECES_DIR)/$*/sageattention/
	touch $@

PIECES_FIXTURES := $(PIECES_TREES:%=$(PIECES_DIR)/%/stamp)

$(BUILD)/tests/pieces/check_pieces: tests/pieces/check_pieces.c tests/testutil.h \
		| $(PIECES_FIXTURES) $(BUILD)/libsageshim.so
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -I tests \
	    -DPIECES_PYTHON='"$(shell $(PYTHON) -c 'import sys; print(sys.executable)')"' \
	    -DPIECES_SOURCE_DIR='"$(CURDIR)/tests/pieces"' \
	    -DPIECES_FIXTURE_DIR='"$(abspath $(PIECES_DIR))"' \
	    -DPIECES_SHIM='"$(abspath $(BUILD)/libsageshim.so)"' \
	    -DPIECES_PRELOAD_FIRST='"$(PIECES_PRELOAD_FIRST)"' \
	    $< -o $@ $(CHECK_LIBS) $(ALL_LDFLAGS)

CHECK_PROGRAMS += $(BUILD)/tests/pieces/check_pieces
CHECK_DEPS += $(PIECES_FIXTURES)
endif
