# Fuzzing (libFuzzer, clang) of the core library's parsers, and of the
# in-memory image path the preload library takes from a driver call (loaded).
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="image cubin"]
#
# Each target tests/fuzz/fuzz_<t>.c defines fuzz_<t>_input(); the fuzzer
# $(BUILD)/fuzz/bin/fuzz_<t> is that file plus the core library's sources
# compiled again with clang and the sanitizers (never the gcc archive).  Seeds
# come from the fixtures and tests/fuzz/seeds/; the corpus grows in
# $(BUILD)/fuzz/corpus/<t>/ and crashing inputs land in
# $(BUILD)/fuzz/artifacts/<t>/ - copy them to tests/fuzz/regressions/<t>/,
# which check_fuzz_regressions (part of `make check`) replays.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= image cubin ptx config manifest merge loaded
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_FIX     := $(BUILD)/fixtures
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS   = -std=c11 -D_GNU_SOURCE $(WARN) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
                -I lib -I $(CUDA_HOME)/include $(DEPS_CFLAGS)
FUZZ_CORE_OBJS := $(CORE_SRCS:%.c=$(FUZZ_DIR)/%.o)
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/bin/fuzz_%)
FUZZ_SEEDS   := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/seeds/%.stamp)

.PHONY: fuzz fuzz-build
fuzz: fuzz-build
	sh tests/fuzz/run-fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)
fuzz-build: $(FUZZ_BINS) $(FUZZ_SEEDS)

# Keep the objects: make would delete them as intermediates of the fuzzers.
.SECONDARY: $(FUZZ_CORE_OBJS) $(FUZZ_TARGETS:%=$(FUZZ_DIR)/tests/fuzz/fuzz_%.o)
$(FUZZ_DIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

# libFuzzer calls LLVMFuzzerTestOneInput; the linker makes that name an alias
# of the target's entry function, so the same source also links into the
# gcc-built regression program next to the other targets.
$(FUZZ_DIR)/bin/fuzz_%: $(FUZZ_DIR)/tests/fuzz/fuzz_%.o $(FUZZ_CORE_OBJS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -Wl,--defsym=LLVMFuzzerTestOneInput=fuzz_$*_input \
	    $^ -o $@ $(DEPS_LIBS)

# ---- Seed corpora, rebuilt from the fixtures --------------------------
FUZZ_NVCC_SEEDS := $(FUZZ_DIR)/nvcc/kernels_sm120.cubin $(FUZZ_DIR)/nvcc/kernels_rdc_sm90a.cubin \
                   $(FUZZ_DIR)/nvcc/kernels_120.ptx
FUZZ_CUBINS := $(FUZZ_FIX)/kernels_sm90a.cubin $(FUZZ_FIX)/kernels_sm80.cubin \
               $(FUZZ_FIX)/cluster_sm90a.cubin $(FUZZ_FIX)/abi_add_long_sm90a.cubin \
               $(FUZZ_DIR)/nvcc/kernels_sm120.cubin $(FUZZ_DIR)/nvcc/kernels_rdc_sm90a.cubin
FUZZ_PTX := $(FUZZ_FIX)/kernels_90a.ptx $(FUZZ_FIX)/cluster_90a.ptx \
            $(FUZZ_FIX)/abi_add_long_90a.ptx $(FUZZ_DIR)/nvcc/kernels_120.ptx
FUZZ_FATBINS := $(FUZZ_FIX)/kernels_none.fatbin $(FUZZ_FIX)/kernels_size.fatbin \
                $(FUZZ_FIX)/kernels_compressall.fatbin $(FUZZ_FIX)/kernels_compressall_speed.fatbin \
                $(FUZZ_FIX)/kernels_debug.fatbin $(FUZZ_FIX)/cluster.fatbin
FUZZ_HOST_ELFS := $(FUZZ_FIX)/ext_a.o $(FUZZ_FIX)/kernels_rdc.o $(FUZZ_FIX)/libext_stripped.so

$(FUZZ_DIR)/nvcc/kernels_sm120.cubin: tests/fixtures/kernels.cu
	@mkdir -p $(dir $@)
	$(NVCC) -cubin -arch=sm_120 $< -o $@
$(FUZZ_DIR)/nvcc/kernels_rdc_sm90a.cubin: tests/fixtures/kernels.cu
	@mkdir -p $(dir $@)
	$(NVCC) -cubin -rdc=true -arch=sm_90a $< -o $@
$(FUZZ_DIR)/nvcc/kernels_120.ptx: tests/fixtures/kernels.cu
	@mkdir -p $(dir $@)
	$(NVCC) -ptx -arch=compute_120 $< -o $@

$(FUZZ_DIR)/seeds/image.stamp: $(FUZZ_FATBINS) $(FUZZ_HOST_ELFS) $(FUZZ_FIX)/kernels_sm90a.cubin \
		$(FUZZ_FIX)/kernels_90a.ptx
# The in-memory path: the same files, each one ending at a guard page.
$(FUZZ_DIR)/seeds/loaded.stamp: $(FUZZ_FATBINS) $(FUZZ_FIX)/kernels_sm90a.cubin \
		$(FUZZ_FIX)/kernels_90a.ptx $(wildcard tests/fuzz/regressions/loaded/*)
$(FUZZ_DIR)/seeds/cubin.stamp: $(FUZZ_CUBINS)
$(FUZZ_DIR)/seeds/ptx.stamp: $(FUZZ_PTX)
$(FUZZ_DIR)/seeds/config.stamp: sageshim.conf $(wildcard tests/fuzz/seeds/config/*)
$(FUZZ_DIR)/seeds/manifest.stamp: $(wildcard tests/fuzz/seeds/manifest/*)
$(FUZZ_DIR)/seeds/%.stamp:
	rm -rf $(FUZZ_DIR)/seeds/$* && mkdir -p $(FUZZ_DIR)/seeds/$*
	cp $^ $(FUZZ_DIR)/seeds/$*/
	touch $@

# Merge seeds: an original and a replacement container back to back.
$(FUZZ_DIR)/seeds/merge.stamp: $(FUZZ_FATBINS)
	rm -rf $(FUZZ_DIR)/seeds/merge && mkdir -p $(FUZZ_DIR)/seeds/merge
	cat $(FUZZ_FIX)/kernels_size.fatbin $(FUZZ_FIX)/cluster.fatbin > $(FUZZ_DIR)/seeds/merge/size+cluster
	cat $(FUZZ_FIX)/cluster.fatbin $(FUZZ_FIX)/kernels_compressall.fatbin > $(FUZZ_DIR)/seeds/merge/cluster+compressall
	cat $(FUZZ_FIX)/kernels_debug.fatbin $(FUZZ_FIX)/kernels_compressall_speed.fatbin > $(FUZZ_DIR)/seeds/merge/debug+compressall_speed
	cat $(FUZZ_FIX)/kernels_none.fatbin $(FUZZ_FIX)/cluster.fatbin > $(FUZZ_DIR)/seeds/merge/none+cluster
	touch $@

# ---- Regressions: every saved input replayed under gcc in `make check` --
FUZZ_ENTRY_OBJS := $(patsubst %,$(BUILD)/tests/fuzz/fuzz_%.o,image cubin ptx config manifest merge \
  loaded)

$(BUILD)/tests/fuzz/check_fuzz_regressions: tests/fuzz/check_fuzz_regressions.c \
		tests/fuzz/fuzz_targets.h tests/testutil.h $(FUZZ_ENTRY_OBJS) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -I tests \
	    -DFUZZ_REGRESSIONS_DIR='"$(CURDIR)/tests/fuzz/regressions"' \
	    $< $(FUZZ_ENTRY_OBJS) -o $@ $(CORE_LIBS) $(CHECK_LIBS) $(ALL_LDFLAGS)

CHECK_PROGRAMS += $(BUILD)/tests/fuzz/check_fuzz_regressions
