# CPU tests of the preload library's interposition: a fake libcuda.so.1,
# fixture modules carrying a small fatbin, clients that reach the driver the
# three ways real programs do, and the harness (harness.h) that runs them.
SHIM_TEST := $(BUILD)/tests/shim
FAKECUDA_DIR := $(SHIM_TEST)/fake
FAKECUDA := $(FAKECUDA_DIR)/libcuda.so.1

# -Bsymbolic: like the real driver, the fake's cuGetProcAddress hands out its
# own functions, not the preload library's exports of the same names.
# --exclude-libs: the core library inside stays private.
$(FAKECUDA): tests/shim/fakecuda.c $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared -Wl,-soname,libcuda.so.1 -Wl,-Bsymbolic \
	  -Wl,--exclude-libs,ALL $< -o $@ $(CORE_LIBS) -lpthread $(ALL_LDFLAGS)
	ln -sf libcuda.so.1 $(FAKECUDA_DIR)/libcuda.so

# The watched fixture module's code, original and corrected.
SHIM_WATCHED_ARCHS := -gencode arch=compute_80,code=sm_80 -gencode arch=compute_89,code=sm_89 \
  -gencode arch=compute_90a,code=sm_90a -gencode arch=compute_120,code=sm_120 \
  -gencode arch=compute_120,code=compute_120
$(SHIM_TEST)/watched_orig.fatbin: tests/shim/watched.cu
	@mkdir -p $(dir $@)
	$(NVCC) -fatbin $(SHIM_WATCHED_ARCHS) $< -o $@
$(SHIM_TEST)/watched_fixed.fatbin: tests/shim/watched.cu
	@mkdir -p $(dir $@)
	$(NVCC) -fatbin $(SHIM_WATCHED_ARCHS) -DCORRECTED $< -o $@

# The same image in a module the default glob watches and in one it does not.
SHIM_WATCHED_SO := $(SHIM_TEST)/site/sageattention/_qattn_sm90.cpython-311-x86_64-linux-gnu.so
SHIM_UNWATCHED_SO := $(SHIM_TEST)/site/other/unwatched.so
$(SHIM_WATCHED_SO) $(SHIM_UNWATCHED_SO): tests/shim/module_image.c $(SHIM_TEST)/watched_orig.fatbin
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared -DFIXTURE_FATBIN='"$(SHIM_TEST)/watched_orig.fatbin"' \
	  $< -o $@ $(ALL_LDFLAGS)

SHIM_CLIENT_COMMON := tests/shim/client_common.c tests/shim/client_common.h
$(SHIM_TEST)/client_runtime: tests/shim/client_runtime.c $(SHIM_CLIENT_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -I tests/shim $< tests/shim/client_common.c -o $@ \
	  -ldl -lpthread $(ALL_LDFLAGS)
$(SHIM_TEST)/client_dlsym: tests/shim/client_dlsym.c $(SHIM_CLIENT_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -I tests/shim $< tests/shim/client_common.c -o $@ \
	  -ldl -lpthread $(ALL_LDFLAGS)
$(SHIM_TEST)/client_linked: tests/shim/client_linked.c $(SHIM_CLIENT_COMMON) $(FAKECUDA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -I tests/shim $< tests/shim/client_common.c -o $@ \
	  -L $(FAKECUDA_DIR) -lcuda -ldl -lpthread $(ALL_LDFLAGS)
# The same client built per-thread-default-stream: its launches bind to the
# _ptsz symbols.
$(SHIM_TEST)/client_linked_ptds: tests/shim/client_linked.c $(SHIM_CLIENT_COMMON) $(FAKECUDA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DCUDA_API_PER_THREAD_DEFAULT_STREAM -I tests/shim $< \
	  tests/shim/client_common.c -o $@ -L $(FAKECUDA_DIR) -lcuda -ldl -lpthread $(ALL_LDFLAGS)
$(SHIM_TEST)/probe_dlsym: tests/shim/probe_dlsym.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< -o $@ -ldl $(ALL_LDFLAGS)

# Everything a harness-based test needs at run time.
SHIM_HARNESS_PRODUCTS := $(SHIM_LIB) $(FAKECUDA) $(SHIM_WATCHED_SO) $(SHIM_UNWATCHED_SO) \
  $(SHIM_TEST)/watched_orig.fatbin $(SHIM_TEST)/watched_fixed.fatbin \
  $(SHIM_TEST)/client_runtime $(SHIM_TEST)/client_dlsym $(SHIM_TEST)/client_linked \
  $(SHIM_TEST)/client_linked_ptds $(SHIM_TEST)/probe_dlsym

$(SHIM_TEST)/check_%: tests/shim/check_%.c tests/shim/harness.c tests/shim/harness.h $(CORE_LIB) \
    tests/testutil.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -I tests -I tests/shim $< tests/shim/harness.c \
	  -o $@ $(CORE_LIBS) $(CHECK_LIBS) -ldl $(ALL_LDFLAGS)

SHIM_CHECKS := $(patsubst tests/shim/%.c,$(SHIM_TEST)/%,$(sort $(wildcard tests/shim/check_*.c)))
CHECK_PROGRAMS += $(SHIM_CHECKS)
CHECK_DEPS += $(SHIM_HARNESS_PRODUCTS)
