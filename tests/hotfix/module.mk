# Kernel hotfixes (lib/plan/plan_hotfix.c, shim/hotfix.c) and the one plan
# (lib/plan/plan.c) the shim logs and doctor prints:
#   check_plan         plans built in-process from fixture images and bundles,
#                      their lines asserted (no subprocess, no fake driver)
#   check_hotfix       the whole preload library under the tests/shim harness
#   check_doctor_plan  `sageshim doctor` prints the lines the shim logs
# Fixtures, under $(BUILD)/tests/hotfix: hotfix fatbins built from hotfix.cu
# with one -D switch each (see its top), a bundle directory per fatbin, and
# fixture modules carrying tests/shim/watched_orig.fatbin.
HF := $(BUILD)/tests/hotfix
HF_SHIM := $(BUILD)/tests/shim
# The watched fixture's archs (tests/shim/module.mk), and a build without
# sm_89/sm_120/PTX for the missing-architecture case.
HF_ARCHS = $(SHIM_WATCHED_ARCHS)
HF_ARCHS_NO120 := -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90a,code=sm_90a

$(HF)/hotfix_good.fatbin: tests/hotfix/hotfix.cu
	@mkdir -p $(dir $@)
	$(NVCC) -fatbin $(HF_ARCHS) $< -o $@
$(HF)/hotfix_long.fatbin: tests/hotfix/hotfix.cu
	@mkdir -p $(dir $@)
	$(NVCC) -fatbin $(HF_ARCHS) -DHOTFIX_LONG_N $< -o $@
$(HF)/hotfix_threads.fatbin: tests/hotfix/hotfix.cu
	@mkdir -p $(dir $@)
	$(NVCC) -fatbin $(HF_ARCHS) -DHOTFIX_FEWER_THREADS $< -o $@
$(HF)/hotfix_scaleonly.fatbin: tests/hotfix/hotfix.cu
	@mkdir -p $(dir $@)
	$(NVCC) -fatbin $(HF_ARCHS) -DHOTFIX_SCALE_ONLY $< -o $@
$(HF)/hotfix_noarch.fatbin: tests/hotfix/hotfix.cu
	@mkdir -p $(dir $@)
	$(NVCC) -fatbin $(HF_ARCHS_NO120) $< -o $@

# One bundle directory per hotfix fatbin: <name>/MANIFEST + hotfix_<name>.fatbin,
# for the fixture _fused module.  kernels= and archs= as the fatbin has them.
HF_KERNELS = 2
HF_ARCHLIST = 80,89,90,120
$(HF)/scaleonly/MANIFEST: HF_KERNELS = 1
$(HF)/noarch/MANIFEST: HF_ARCHLIST = 80,90
HF_BUNDLES := good long threads scaleonly noarch
$(HF_BUNDLES:%=$(HF)/%/MANIFEST): $(HF)/%/MANIFEST: $(HF)/hotfix_%.fatbin
	@mkdir -p $(dir $@)
	cp $< $(dir $@)
	printf 'label test@hotfix\nhotfix %s modules=*/sageattention/_fused*.so archs=%s kernels=%s sha256=%s\n' \
	  $(notdir $<) $(HF_ARCHLIST) $(HF_KERNELS) $$(sha256sum $< | cut -d' ' -f1) > $@

# Entry bundle and hotfix together, both for the watched _qattn_sm90 module:
# the entry merge applies first, the hotfix to the resulting entries.
$(HF)/both/MANIFEST: $(HF_SHIM)/watched_fixed.fatbin $(HF)/hotfix_good.fatbin
	@mkdir -p $(dir $@)
	cp $^ $(dir $@)
	printf 'label test@both\nfatbin watched_fixed.fatbin module=_qattn_sm90 archs=90,120 kernels=2 sha256=%s\nhotfix hotfix_good.fatbin modules=*/sageattention/_qattn_sm90*.so archs=80,89,90,120 kernels=2 sha256=%s\n' \
	  $$(sha256sum $(HF_SHIM)/watched_fixed.fatbin | cut -d' ' -f1) \
	  $$(sha256sum $(HF)/hotfix_good.fatbin | cut -d' ' -f1) > $@

# Fixture modules: the watched original image under the default
# hotfix_modules glob (_fused) and the default modules glob (_qattn_sm90).
HF_FUSED_SO := $(HF)/site/sageattention/_fused.cpython-312-x86_64-linux-gnu.so
HF_QATTN_SO := $(HF)/site/sageattention/_qattn_sm90.cpython-312-x86_64-linux-gnu.so
$(HF_FUSED_SO) $(HF_QATTN_SO): tests/shim/module_image.c $(HF_SHIM)/watched_orig.fatbin
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared -DFIXTURE_FATBIN='"$(HF_SHIM)/watched_orig.fatbin"' \
	  $< -o $@ $(ALL_LDFLAGS)

# A stand-in with a real _fused kernel name (fused_transpose.cu), original and
# hotfix, for diagnose's count of launches past 32-bit offsets.
$(HF)/transpose_orig.fatbin: tests/hotfix/fused_transpose.cu
	@mkdir -p $(dir $@)
	$(NVCC) -fatbin $(HF_ARCHS) $< -o $@
$(HF)/transpose/hotfix_transpose.fatbin: tests/hotfix/fused_transpose.cu
	@mkdir -p $(dir $@)
	$(NVCC) -fatbin $(HF_ARCHS) -DHOTFIX $< -o $@
$(HF)/transpose/MANIFEST: $(HF)/transpose/hotfix_transpose.fatbin
	printf 'label test@transpose\nhotfix %s modules=*/sageattention/_fused*.so archs=80,89,90,120 kernels=1 sha256=%s\n' \
	  $(notdir $<) $$(sha256sum $< | cut -d' ' -f1) > $@
HF_TRANSPOSE_SO := $(HF)/site2/sageattention/_fused.cpython-312-x86_64-linux-gnu.so
$(HF_TRANSPOSE_SO): tests/shim/module_image.c $(HF)/transpose_orig.fatbin
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared -DFIXTURE_FATBIN='"$(HF)/transpose_orig.fatbin"' \
	  $< -o $@ $(ALL_LDFLAGS)
$(HF)/client_fused: tests/hotfix/client_fused.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< -o $@ -ldl $(ALL_LDFLAGS)

# The 32-bit stand-in of the original 44 kernels (kernels/module.mk) in a
# _fused module, for the shipped hotfix installed with no configuration.
HF_REAL_SO := $(HF)/site3/sageattention/_fused.cpython-312-x86_64-linux-gnu.so
$(HF_REAL_SO): tests/shim/module_image.c $(FUSED_OUT)/sageshim_fused_index32.fatbin
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared -DFIXTURE_FATBIN='"$(FUSED_OUT)/sageshim_fused_index32.fatbin"' \
	  $< -o $@ $(ALL_LDFLAGS)

HF_FIXTURES := $(HF_BUNDLES:%=$(HF)/%/MANIFEST) $(HF)/both/MANIFEST $(HF_FUSED_SO) $(HF_QATTN_SO) \
  $(HF)/transpose/MANIFEST $(HF_TRANSPOSE_SO) $(HF)/client_fused $(HF_REAL_SO) \
  $(FUSED_FATBIN) $(FUSED_MANIFEST)

# check_plan also reads the shipped hotfix (kernels/module.mk): the corrected
# kernels against their 32-bit stand-in.
$(HF)/check_plan: tests/hotfix/check_plan.c tests/testutil.h $(CORE_LIB) $(FUSED_MANIFEST) \
    $(FUSED_TEST_FATBINS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -I tests $< -o $@ $(CORE_LIBS) $(CHECK_LIBS) $(ALL_LDFLAGS)

$(HF)/check_hotfix $(HF)/check_doctor_plan: $(HF)/%: tests/hotfix/%.c tests/shim/harness.c \
    tests/shim/harness.h tests/testutil.h $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -I tests -I tests/shim $< tests/shim/harness.c \
	  -o $@ $(CORE_LIBS) $(CHECK_LIBS) -ldl $(ALL_LDFLAGS)

CHECK_PROGRAMS += $(HF)/check_plan $(HF)/check_hotfix $(HF)/check_doctor_plan
CHECK_DEPS += $(HF_FIXTURES)
fixtures: $(HF_FIXTURES)
