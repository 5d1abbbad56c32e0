# CUDA 12.x code objects (V1 ABI cubins, OSABI 0x33) next to our 13.0 ones.
#
# The 12.x toolchain comes from PyPI at test time (get-toolchain.sh, cached in
# $(BUILD)/cuda12): NVRTC 12.9, ptxas 12.9 and the 12.x cuda.h.  PyPI has no
# 12.x nvcc, so a "12.x build" here is what nvcc does, with NVRTC as its
# front end: NVRTC (run by nvrtc12) writes PTX, the 12.9 ptxas assembles it;
# fatbins are packed by our 13.0 fatbinary with LZ4.
#
# When the wheels cannot be had, $(C12)/SKIPPED says why and the two Check
# programs print "skipped: ..." and pass.
C12 := $(BUILD)/tests/cuda12
C12_TOOLS := $(BUILD)/cuda12
C12_PTXAS := $(C12_TOOLS)/nvidia/cuda_nvcc/bin/ptxas
C12_NVRTC_LIB := $(C12_TOOLS)/nvidia/cuda_nvrtc/lib/libnvrtc.so.12
C12_FATBINARY ?= $(CUDA_HOME)/bin/fatbinary
C12_WATCHED_BASE := _qattn_sm90.cpython-311-x86_64-linux-gnu.so

# nvrtc12 runs here, at build time: the host compiler builds it, also when
# CC is a cross compiler (tests/aarch64), and without SANITIZE flags (under
# ASan, NVRTC no longer finds its libnvrtc-builtins beside it).
HOST_CC ?= cc
HOST_CFLAGS ?= -O2 -g
C12_NVRTC12 := $(C12)/nvrtc12
$(C12_NVRTC12): tests/cuda12/nvrtc12.c
	@mkdir -p $(dir $@)
	$(HOST_CC) -std=c11 -D_GNU_SOURCE $(WARN) $(HOST_CFLAGS) $< -o $@ -ldl

C12_FIXTURES := \
  $(C12)/kernels12_sm80.cubin $(C12)/kernels12_sm90a.cubin $(C12)/kernels12_lz4.fatbin \
  $(C12)/kernels12_90a.ptx $(C12)/kernels12_nvrtc_sm90a.cubin \
  $(C12)/site/sageattention/$(C12_WATCHED_BASE) $(C12)/bundle13/MANIFEST \
  $(C12)/site13/sageattention/$(C12_WATCHED_BASE) $(C12)/bundle12/MANIFEST

# Obtain the toolchain; build the fixtures with it (a second make, so that
# nothing below runs when it could not be had).
# The wheels are for the build machine (nvrtc12 and ptxas run here), so pip
# runs under the host's python3: PYTHON may name the target's interpreter
# (the aarch64 cross build passes an aarch64 python3 for the repair suite,
# and pip under it would fetch aarch64 wheels).
C12_PIP_PYTHON ?= python3

$(C12)/fixtures.stamp: tests/cuda12/get-toolchain.sh tests/cuda12/module.mk \
    tests/cuda12/nvrtc12.c $(wildcard tests/cuda12/rtc-include/*.h) \
    tests/fixtures/kernels.cu tests/cuda12/watched_tma.cu tests/shim/watched.cu
	@mkdir -p $(C12)
	@rm -f $(C12)/SKIPPED
	@if PYTHON=$(C12_PIP_PYTHON) sh tests/cuda12/get-toolchain.sh $(C12_TOOLS) \
	    > $(C12)/toolchain.log 2>&1; then \
	  cat $(C12)/toolchain.log; \
	  $(MAKE) --no-print-directory BUILD=$(BUILD) cuda12-fixtures; \
	else \
	  cat $(C12)/toolchain.log; \
	  echo "CUDA 12.x wheels not available (pip install failed; see $(C12)/toolchain.log)" \
	    > $(C12)/SKIPPED; \
	  echo "cuda12: $$(cat $(C12)/SKIPPED)"; \
	fi
	@touch $@

.PHONY: cuda12-fixtures
cuda12-fixtures: $(C12_FIXTURES)

# c12_ptx SOURCE ARCH OUT [OPTIONS]: NVRTC 12.x's PTX for compute_ARCH.
# NVRTC reads no host headers: -default-device makes the driver API
# declarations of the 12.x cuda.h device ones (never defined nor called),
# and rtc-include stands in for the C headers cuda.h includes.  No -rdc: the
# 13.0 cubins are whole-program builds too.
C12_RTC_FLAGS := -default-device -I tests/cuda12/rtc-include \
  -I $(C12_TOOLS)/nvidia/cuda_runtime/include
c12_ptx = $(C12_NVRTC12) --lib $(C12_NVRTC_LIB) --ptx -o $(3) -arch=$(2) $(C12_RTC_FLAGS) $(4) $(1)
C12_RTC_DEPS := $(C12_NVRTC12) $(wildcard tests/cuda12/rtc-include/*.h)

# kernels.cu's static local_kernel is referenced only by host code, which
# NVRTC does not see; naming it keeps it, as nvcc's host stub does.
$(C12)/kernels12_%.ptx: tests/fixtures/kernels.cu $(C12_RTC_DEPS)
	$(call c12_ptx,$<,compute_$*,$@,--name-expr local_kernel)
$(C12)/kernels12_sm%.cubin: $(C12)/kernels12_%.ptx
	$(C12_PTXAS) -arch=sm_$* $< -o $@
# The same compiled straight to a cubin by NVRTC (its own ptxas), for the
# test that the cubins above are NVRTC 12.x's output.
$(C12)/kernels12_nvrtc_sm%.cubin: tests/fixtures/kernels.cu $(C12_RTC_DEPS)
	$(C12_NVRTC12) --lib $(C12_NVRTC_LIB) --cubin -o $@ -arch=sm_$* $(C12_RTC_FLAGS) \
	  --name-expr local_kernel $<
$(C12)/kernels12_lz4.fatbin: $(C12)/kernels12_sm80.cubin $(C12)/kernels12_sm90a.cubin \
    $(C12)/kernels12_90a.ptx
	$(C12_FATBINARY) -64 --create=$@ --compress-mode=speed -compress-all \
	  --image3=kind=elf,sm=80,file=$(C12)/kernels12_sm80.cubin \
	  --image3=kind=elf,sm=90a,file=$(C12)/kernels12_sm90a.cubin \
	  --image3=kind=ptx,sm=90a,file=$(C12)/kernels12_90a.ptx

# watched_tma.cu built with 12.x: original (as is) and fixed (-DCORRECTED).
$(C12)/watched12_%.ptx: tests/cuda12/watched_tma.cu tests/shim/watched.cu $(C12_RTC_DEPS)
	$(call c12_ptx,$<,compute_$*,$@)
$(C12)/watched12_fixed_%.ptx: tests/cuda12/watched_tma.cu tests/shim/watched.cu $(C12_RTC_DEPS)
	$(call c12_ptx,$<,compute_$*,$@,-DCORRECTED)
$(C12)/watched12_sm%.cubin: $(C12)/watched12_%.ptx
	$(C12_PTXAS) -arch=sm_$* $< -o $@
$(C12)/watched12_fixed_sm%.cubin: $(C12)/watched12_fixed_%.ptx
	$(C12_PTXAS) -arch=sm_$* $< -o $@
$(C12)/watched12_orig.fatbin: $(C12)/watched12_sm80.cubin $(C12)/watched12_sm90a.cubin
	$(C12_FATBINARY) -64 --create=$@ --compress-mode=speed -compress-all \
	  --image3=kind=elf,sm=80,file=$(C12)/watched12_sm80.cubin \
	  --image3=kind=elf,sm=90a,file=$(C12)/watched12_sm90a.cubin
$(C12)/bundle12/watched12_fixed.fatbin: $(C12)/watched12_fixed_sm90a.cubin
	@mkdir -p $(dir $@)
	$(C12_FATBINARY) -64 --create=$@ --compress-mode=speed -compress-all \
	  --image3=kind=elf,sm=90a,file=$<

# The same source built with 13.0.
C12_ARCHS13 := -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90a,code=sm_90a
$(C12)/watched13_orig.fatbin: tests/cuda12/watched_tma.cu tests/shim/watched.cu
	@mkdir -p $(dir $@)
	$(NVCC) -fatbin $(C12_ARCHS13) $< -o $@
$(C12)/bundle13/watched13_fixed.fatbin: tests/cuda12/watched_tma.cu tests/shim/watched.cu
	@mkdir -p $(dir $@)
	$(NVCC) -fatbin -gencode arch=compute_90a,code=sm_90a -DCORRECTED $< -o $@

# Watched modules (the default glob's path) carrying each original.
$(C12)/site/sageattention/$(C12_WATCHED_BASE): tests/shim/module_image.c $(C12)/watched12_orig.fatbin
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared -DFIXTURE_FATBIN='"$(C12)/watched12_orig.fatbin"' \
	  $< -o $@ $(ALL_LDFLAGS)
$(C12)/site13/sageattention/$(C12_WATCHED_BASE): tests/shim/module_image.c $(C12)/watched13_orig.fatbin
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared -DFIXTURE_FATBIN='"$(C12)/watched13_orig.fatbin"' \
	  $< -o $@ $(ALL_LDFLAGS)

# c12_manifest DIR FILE: a one-fatbin bundle for sm_90 with 3 kernels.
c12_manifest = printf 'label test@cuda12\nfatbin %s module=_qattn_sm90 archs=90 kernels=3 sha256=%s\n' \
  $(2) $$(sha256sum $(1)/$(2) | cut -d' ' -f1) > $(1)/MANIFEST
$(C12)/bundle13/MANIFEST: $(C12)/bundle13/watched13_fixed.fatbin
	$(call c12_manifest,$(C12)/bundle13,watched13_fixed.fatbin)
$(C12)/bundle12/MANIFEST: $(C12)/bundle12/watched12_fixed.fatbin
	$(call c12_manifest,$(C12)/bundle12,watched12_fixed.fatbin)

# The Check programs.  They need the harness products of tests/shim/module.mk
# at run time (in CHECK_DEPS there).
$(C12)/check_cuda12: tests/cuda12/check_cuda12.c tests/testutil.h $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -I tests $< -o $@ $(CORE_LIBS) $(CHECK_LIBS) $(ALL_LDFLAGS)
$(C12)/check_cuda12_redirect: tests/cuda12/check_cuda12_redirect.c tests/shim/harness.c \
    tests/shim/harness.h tests/testutil.h $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -I tests -I tests/shim $< tests/shim/harness.c \
	  -o $@ $(CORE_LIBS) $(CHECK_LIBS) -ldl $(ALL_LDFLAGS)

CHECK_PROGRAMS += $(C12)/check_cuda12 $(C12)/check_cuda12_redirect
CHECK_DEPS += $(C12)/fixtures.stamp
fixtures: $(C12)/fixtures.stamp
