# Our own corrected kernels: SageAttention's 44 `_fused` kernels written from
# /work/shared/docs/sageattention-fused.md with 64-bit offsets, built into a
# hotfix bundle (kernels/README.md).
#
#   $(BUILD)/kernels/sageshim_fused.fatbin          the corrected kernels
#   $(BUILD)/kernels/MANIFEST                       label + hotfix line for it
#   $(BUILD)/kernels/sageshim_fused_index32.fatbin  test stand-in of the original
#                                                   (upstream's 32-bit offsets)
#   $(BUILD)/kernels/sageshim_fused_ptx80.fatbin    test only: the sm_80 code as
#                                                   PTX, which newer GPUs JIT
#
# Device code depends on nothing of the host build (CC, sanitizers, target
# CPU), so it is compiled once, in build/kernels; other build directories
# (BUILD=build-asan, build-aarch64, ...) copy it from there.
FUSED_SRC := kernels/sageshim_fused.cu
FUSED_DEPS := $(FUSED_SRC) $(wildcard kernels/fused/*.cuh kernels/fused/*.h) kernels/module.mk
FUSED_COMPILED := build/kernels
FUSED_OUT := $(BUILD)/kernels
FUSED_FATBIN := $(FUSED_OUT)/sageshim_fused.fatbin
FUSED_MANIFEST := $(FUSED_OUT)/MANIFEST
FUSED_TEST_FATBINS := $(FUSED_OUT)/sageshim_fused_index32.fatbin \
                      $(FUSED_OUT)/sageshim_fused_ptx80.fatbin

# Upstream's NVCC flags (spec, top): the arithmetic of the kernels is that of
# a --use_fast_math build.
FUSED_NVCC_FLAGS := -O3 --use_fast_math -std=c++17
# Every architecture SageAttention builds `_fused` for (spec §11: sm_120 as
# plain sm_120 up to v2.2.0, as sm_120a later; sm_121a), then PTX of the
# newest plain target so that later GPUs can JIT it.
FUSED_SM := 80 86 89 90a 100a 120 120a 121a
FUSED_GENCODE := $(foreach a,$(FUSED_SM),-gencode arch=compute_$(a),code=sm_$(a)) \
                 -gencode arch=compute_120,code=compute_120
# The MANIFEST's archs= field: SM numbers of those entries.
FUSED_ARCHS := 80,86,89,90,100,120,121
FUSED_MODULES := */sageattention/_fused*.so
FUSED_KERNELS := 44

# nvcc 12.9 or later (sm_121a).  Without one, `make` builds everything else
# (the library, the command and the repair need no kernels) and says that
# the bundle is skipped; a bundle built before (or copied into
# $(FUSED_COMPILED), as the aarch64 wheel does) is still used and installed.
FUSED_NVCC_MIN := 12.9
FUSED_NVCC_RELEASE := $(shell $(NVCC) --version 2>/dev/null | \
  sed -n 's/.*release \([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p')
FUSED_NVCC_OK := $(shell v='$(FUSED_NVCC_RELEASE)'; [ -n "$$v" ] && \
  printf '%s\n%s\n' $(FUSED_NVCC_MIN) "$$v" | sort -V -C && echo yes)
FUSED_NVCC_WHY := $(if $(FUSED_NVCC_RELEASE),$(NVCC) is release $(FUSED_NVCC_RELEASE),no $(NVCC))
FUSED_BUILT := $(if $(FUSED_NVCC_OK)$(wildcard $(FUSED_COMPILED)/sageshim_fused.fatbin),yes)

# Say plainly what is missing rather than "nvcc: not found".
FUSED_NEED_NVCC = @[ -n "$(FUSED_NVCC_OK)" ] || { echo "kernels: $(FUSED_NVCC_WHY):" \
  "install the CUDA toolkit ($(FUSED_NVCC_MIN) or later: sm_121a) or set NVCC=/path/to/nvcc" >&2; exit 1; }

$(FUSED_COMPILED)/sageshim_fused.fatbin: $(FUSED_DEPS)
	$(FUSED_NEED_NVCC)
	@mkdir -p $(dir $@)
	$(NVCC) -fatbin $(FUSED_NVCC_FLAGS) $(FUSED_GENCODE) $< -o $@.tmp
	mv $@.tmp $@
$(FUSED_COMPILED)/sageshim_fused_index32.fatbin: $(FUSED_DEPS)
	$(FUSED_NEED_NVCC)
	@mkdir -p $(dir $@)
	$(NVCC) -fatbin $(FUSED_NVCC_FLAGS) $(FUSED_GENCODE) -DSAGESHIM_FUSED_INDEX32=1 $< -o $@.tmp
	mv $@.tmp $@
$(FUSED_COMPILED)/sageshim_fused_ptx80.fatbin: $(FUSED_DEPS)
	$(FUSED_NEED_NVCC)
	@mkdir -p $(dir $@)
	$(NVCC) -fatbin $(FUSED_NVCC_FLAGS) -gencode arch=compute_80,code=compute_80 $< -o $@.tmp
	mv $@.tmp $@

ifneq ($(abspath $(FUSED_OUT)),$(abspath $(FUSED_COMPILED)))
$(FUSED_OUT)/%.fatbin: $(FUSED_COMPILED)/%.fatbin
	@mkdir -p $(dir $@)
	cp $< $@
endif

# The label names the commit of the kernel sources, "-modified" when the
# working tree differs from it, "unversioned" outside git.
FUSED_LABEL_CMD := v=$$(git log -1 --format=%h -- $(FUSED_SRC) kernels/fused 2>/dev/null); \
  [ -n "$$v" ] || v=unversioned; \
  if [ -n "$$(git status --porcelain -- $(FUSED_SRC) kernels/fused 2>/dev/null)" ]; then \
    v=$$v-modified; fi; echo "sageshim-fused@$$v"

$(FUSED_MANIFEST): $(FUSED_FATBIN)
	{ echo "# sageshim's own corrected _fused kernels (kernels/README.md)"; \
	  echo "label $$($(FUSED_LABEL_CMD))"; \
	  echo "hotfix $(notdir $<) modules=$(FUSED_MODULES) archs=$(FUSED_ARCHS)" \
	    "kernels=$(FUSED_KERNELS) sha256=$$(sha256sum $< | cut -d' ' -f1)"; } > $@.tmp
	mv $@.tmp $@

ifeq ($(FUSED_BUILT),yes)
ALL_TARGETS += $(FUSED_FATBIN) $(FUSED_MANIFEST) \
  $(if $(FUSED_NVCC_OK),$(FUSED_TEST_FATBINS),$(filter $(wildcard $(FUSED_COMPILED)/*),$(FUSED_TEST_FATBINS)))
else
ALL_TARGETS += kernels-skipped
endif
# make install installs what make built: a build that skipped the bundle
# (the library is there, the bundle is not) is installed without it, even
# where `make install` itself would find an nvcc (sudo's PATH, CUDA_HOME).
FUSED_INSTALL := $(if $(wildcard $(FUSED_OUT)/sageshim_fused.fatbin),yes,$(if \
  $(wildcard $(BUILD)/libsageshim.so),,$(FUSED_BUILT)))
ifeq ($(FUSED_INSTALL),yes)
INSTALL_LIST += 644 $(FUSED_FATBIN) share/sageshim/kernels/sageshim_fused.fatbin \
  644 $(FUSED_MANIFEST) share/sageshim/kernels/MANIFEST
endif
FUSED_SKIPPED_MSG := kernels: $(FUSED_NVCC_WHY) ($(FUSED_NVCC_MIN) or later needed): the hotfix \
  bundle (the long-sequence fix) is not built; the library, the command and the repair are
.PHONY: kernels-skipped
kernels-skipped:
	@echo "$(FUSED_SKIPPED_MSG)"
CHECK_DEPS += $(FUSED_FATBIN) $(FUSED_MANIFEST) $(FUSED_TEST_FATBINS)
# check_fused_build tests the software E4M3 conversion itself.
$(BUILD)/tests/check_fused_build: kernels/fused/e4m3_soft.h

# make install: the default bundle (INSTALL_LIST above).  A hand-made bundle
# left in kernels/ would look like the installed one: refuse, saying so.
.PHONY: install-kernels-check
install-kernels-check:
	@if [ -f kernels/MANIFEST ]; then \
	  echo "kernels/MANIFEST: a hand-made bundle in the source tree; the built hotfix" \
	    "bundle installs its own MANIFEST. Move the bundle to its own directory" \
	    "(bundle = DIR in sageshim.conf) or merge its lines into $(FUSED_MANIFEST)." >&2; \
	  exit 1; fi
	@$(if $(FUSED_INSTALL),:,echo "install: no hotfix bundle was built (the long-sequence fix):" \
	  "share/sageshim/kernels is not installed; build it with nvcc $(FUSED_NVCC_MIN) or later")
INSTALL_CHECKS += install-kernels-check
