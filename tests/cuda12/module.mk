# CUDA 12.x code objects (V1 ABI cubins, OSABI 0x33) next to our 13.0 ones.
#
# The 12.x toolchain comes from PyPI at test time (get-toolchain.sh, cached in
# $(BUILD)/cuda12).  PyPI ships ptxas but no nvcc, so a "12.x build" here is:
# PTX from our 13.0 nvcc with the 12.x cuda.h in front (CUtensorMap
# alignas(64)), its .version lowered to what 12.x ptxas reads, assembled by
# 12.x ptxas; fatbins are packed by our 13.0 fatbinary with LZ4.
#
# When the wheels cannot be had, $(C12)/SKIPPED says why and the two Check
# programs print "skipped: ..." and pass.
C12 := $(BUILD)/tests/cuda12
C12_TOOLS := $(BUILD)/cuda12
C12_PTXAS := $(C12_TOOLS)/nvidia/cuda_nvcc/bin/ptxas
C12_FATBINARY ?= $(CUDA_HOME)/bin/fatbinary
# The PTX ISA of CUDA 12.9 (get-toolchain.sh installs 12.9.*).
C12_PTX_ISA := 8.8
C12_WATCHED_BASE := _qattn_sm90.cpython-311-x86_64-linux-gnu.so

C12_FIXTURES := \
  $(C12)/kernels12_sm80.cubin $(C12)/kernels12_sm90a.cubin $(C12)/kernels12_lz4.fatbin \
  $(C12)/site/sageattention/$(C12_WATCHED_BASE) $(C12)/bundle13/MANIFEST \
  $(C12)/site13/sageattention/$(C12_WATCHED_BASE) $(C12)/bundle12/MANIFEST

# Obtain the toolchain; build the fixtures with it (a second make, so that
# nothing below runs when it could not be had).
$(C12)/fixtures.stamp: tests/cuda12/get-toolchain.sh tests/cuda12/module.mk \
    tests/fixtures/kernels.cu tests/cuda12/watched_tma.cu tests/shim/watched.cu
	@mkdir -p $(C12)
	@rm -f $(C12)/SKIPPED
	@if sh tests/cuda12/get-toolchain.sh $(C12_TOOLS) > $(C12)/toolchain.log 2>&1; then \
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

# The 12.x cuda.h alone in front of the 13.0 headers.
$(C12)/include/cuda.h: $(C12_TOOLS)/nvidia/cuda_runtime/include/cuda.h
	@mkdir -p $(dir $@)
	cp $< $@

# c12_ptx SOURCE ARCH OUT [NVCC FLAGS]: 12.x-header PTX lowered to ISA 8.8.
c12_ptx = $(NVCC) -ptx -arch=$(2) -I $(C12)/include $(4) $(1) -o $(3).tmp && \
  sed 's/^\.version 9\.[0-9]*$$/.version $(C12_PTX_ISA)/' $(3).tmp > $(3) && rm -f $(3).tmp

$(C12)/kernels12_%.ptx: tests/fixtures/kernels.cu $(C12)/include/cuda.h
	$(call c12_ptx,$<,compute_$*,$@)
$(C12)/kernels12_sm%.cubin: $(C12)/kernels12_%.ptx
	$(C12_PTXAS) -arch=sm_$* $< -o $@
$(C12)/kernels12_lz4.fatbin: $(C12)/kernels12_sm80.cubin $(C12)/kernels12_sm90a.cubin \
    $(C12)/kernels12_90a.ptx
	$(C12_FATBINARY) -64 --create=$@ --compress-mode=speed -compress-all \
	  --image3=kind=elf,sm=80,file=$(C12)/kernels12_sm80.cubin \
	  --image3=kind=elf,sm=90a,file=$(C12)/kernels12_sm90a.cubin \
	  --image3=kind=ptx,sm=90a,file=$(C12)/kernels12_90a.ptx

# watched_tma.cu built with 12.x: original (as is) and fixed (-DCORRECTED).
$(C12)/watched12_%.ptx: tests/cuda12/watched_tma.cu tests/shim/watched.cu $(C12)/include/cuda.h
	$(call c12_ptx,$<,compute_$*,$@)
$(C12)/watched12_fixed_%.ptx: tests/cuda12/watched_tma.cu tests/shim/watched.cu \
    $(C12)/include/cuda.h
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
