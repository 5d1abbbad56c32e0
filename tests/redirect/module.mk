# Tests of the load decision (shim/decide.c and the other policy files).
#   check_decide   the policy linked alone (decide_probe), file-based loads
#   check_redirect / check_diagnose   the whole preload library under the
#                  tests/shim harness (fake libcuda.so.1, three clients)
RD := $(BUILD)/tests/redirect
RD_PROBE := $(RD)/probe
RD_GENCODE := -gencode arch=compute_90a,code=sm_90a -gencode arch=compute_120,code=sm_120

# The policy objects: layers 3 and 2 of the map in shim/shim.h (decision,
# state and log).  decide_probe stands in for layer 1 (real.c) and calls
# layer 3 as the interposition files would.
POLICY_OBJS := $(call shim_layer_objs,23)

$(RD)/decide_probe: tests/redirect/decide_probe.c $(POLICY_OBJS) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -I shim $< $(POLICY_OBJS) -o $@ $(CORE_LIBS) -ldl -lpthread $(ALL_LDFLAGS)

$(RD)/check_decide: tests/redirect/check_decide.c tests/testutil.h $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -I tests $< -o $@ $(CORE_LIBS) $(CHECK_LIBS) $(ALL_LDFLAGS)

# The watched original: kernels.cu for sm_80, 89, 90, 90a, 120 (+ PTX 120).
$(RD_PROBE)/site/sageattention/_qattn_sm90.fatbin $(RD_PROBE)/site/other/_qattn_sm90.fatbin: \
    $(BUILD)/fixtures/kernels_none.fatbin
	@mkdir -p $(dir $@)
	cp $< $@
# The "corrected" build: same kernels, other bytes (-lineinfo), sm_90a + sm_120.
$(RD_PROBE)/good/kernels_fixed.fatbin: tests/fixtures/kernels.cu
	@mkdir -p $(dir $@)
	$(NVCC) -fatbin -lineinfo $(RD_GENCODE) $< -o $@
# add_c's `int n` became `long n` (ABI_ADD_LONG in kernels.cu).
$(RD_PROBE)/abi/kernels_bad.fatbin: tests/fixtures/kernels.cu
	@mkdir -p $(dir $@)
	$(NVCC) -fatbin -DABI_ADD_LONG $(RD_GENCODE) $< -o $@
$(RD_PROBE)/badhash/kernels_fixed.fatbin: $(RD_PROBE)/good/kernels_fixed.fatbin
	@mkdir -p $(dir $@)
	cp $< $@

# MANIFEST <dir> <file> <module> <sha256>
rd_manifest = printf 'label test@probe\nfatbin %s module=%s archs=90,120 kernels=11 sha256=%s\n' \
  $(2) $(3) $(4) > $(1)/MANIFEST

$(RD_PROBE)/good/MANIFEST: $(RD_PROBE)/good/kernels_fixed.fatbin
	$(call rd_manifest,$(dir $@),kernels_fixed.fatbin,_qattn_sm90,$$(sha256sum $< | cut -d' ' -f1))
$(RD_PROBE)/abi/MANIFEST: $(RD_PROBE)/abi/kernels_bad.fatbin
	$(call rd_manifest,$(dir $@),kernels_bad.fatbin,_qattn_sm90,$$(sha256sum $< | cut -d' ' -f1))
# The hash of an empty file: matches nothing we ship.
$(RD_PROBE)/badhash/MANIFEST: $(RD_PROBE)/badhash/kernels_fixed.fatbin
	$(call rd_manifest,$(dir $@),kernels_fixed.fatbin,_qattn_sm90,$$(sha256sum /dev/null | cut -d' ' -f1))

RD_PROBE_FIXTURES := $(RD)/decide_probe \
  $(RD_PROBE)/site/sageattention/_qattn_sm90.fatbin $(RD_PROBE)/site/other/_qattn_sm90.fatbin \
  $(RD_PROBE)/good/MANIFEST $(RD_PROBE)/abi/MANIFEST $(RD_PROBE)/badhash/MANIFEST

CHECK_PROGRAMS += $(RD)/check_decide
CHECK_DEPS += $(RD_PROBE_FIXTURES)
fixtures: $(RD_PROBE_FIXTURES)

# ---- under the harness (tests/shim/module.mk provides SHIM_HARNESS_PRODUCTS) ----
RD_SHIM := $(BUILD)/tests/shim

$(RD)/bundle/watched_fixed.fatbin $(RD)/bundle_badhash/watched_fixed.fatbin: \
    $(RD_SHIM)/watched_fixed.fatbin
	@mkdir -p $(dir $@)
	cp $< $@
# watched.cu with shim_scale's `int n` as `long n`, built for the same archs.
$(RD)/bundle_abi/watched_abi.fatbin: tests/redirect/watched_abi.cu
	@mkdir -p $(dir $@)
	$(NVCC) -fatbin $(SHIM_WATCHED_ARCHS) $< -o $@

rd_manifest2 = printf 'label test@redirect\nfatbin %s module=_qattn_sm90 archs=90,120 kernels=2 sha256=%s\n' \
  $(2) $(3) > $(1)/MANIFEST
$(RD)/bundle/MANIFEST: $(RD)/bundle/watched_fixed.fatbin
	$(call rd_manifest2,$(dir $@),watched_fixed.fatbin,$$(sha256sum $< | cut -d' ' -f1))
$(RD)/bundle_abi/MANIFEST: $(RD)/bundle_abi/watched_abi.fatbin
	$(call rd_manifest2,$(dir $@),watched_abi.fatbin,$$(sha256sum $< | cut -d' ' -f1))
$(RD)/bundle_badhash/MANIFEST: $(RD)/bundle_badhash/watched_fixed.fatbin
	$(call rd_manifest2,$(dir $@),watched_fixed.fatbin,$$(sha256sum /dev/null | cut -d' ' -f1))

# An observed module (default glob "*/sageattention/_fused*.so") for the
# diagnose summary's warning.
RD_FUSED_SO := $(RD)/site/sageattention/_fused.cpython-311-x86_64-linux-gnu.so
$(RD_FUSED_SO): tests/shim/module_image.c $(RD_SHIM)/watched_orig.fatbin
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared -DFIXTURE_FATBIN='"$(RD_SHIM)/watched_orig.fatbin"' \
	  $< -o $@ $(ALL_LDFLAGS)

$(RD)/check_redirect $(RD)/check_diagnose: $(RD)/%: tests/redirect/%.c tests/shim/harness.c \
    tests/shim/harness.h tests/testutil.h $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -I tests -I tests/shim $< tests/shim/harness.c \
	  -o $@ $(CORE_LIBS) $(CHECK_LIBS) -ldl $(ALL_LDFLAGS)

RD_HARNESS_FIXTURES := $(RD)/bundle/MANIFEST $(RD)/bundle_abi/MANIFEST \
  $(RD)/bundle_badhash/MANIFEST $(RD_FUSED_SO)

CHECK_PROGRAMS += $(RD)/check_redirect $(RD)/check_diagnose
CHECK_DEPS += $(RD_HARNESS_FIXTURES)
fixtures: $(RD_HARNESS_FIXTURES)

# The diagnose launch line, formatted by hand (shim/launchline.c), against
# the printf formats it replaces.
$(RD)/check_launchline: tests/redirect/check_launchline.c tests/testutil.h \
    $(BUILD)/shim/launchline.o $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -I tests -I shim $< $(BUILD)/shim/launchline.o \
	  -o $@ $(CORE_LIBS) $(CHECK_LIBS) $(ALL_LDFLAGS)
CHECK_PROGRAMS += $(RD)/check_launchline
