# ABI-variant fixtures for check_abi: tests/fixtures/kernels.cu built again
# with one change each (the ABI_* switches at its head), plus single-arch
# builds of tests/fixtures/cluster.cu.
# Outputs go next to the other fixtures, named abi_* / cluster_*.
ABI_FIX := $(BUILD)/fixtures
ABI_VARIANTS := abi_add_long abi_mixed_lost abi_removed abi_bounds
ABI_CUBINS := $(ABI_VARIANTS:%=$(ABI_FIX)/%_sm90a.cubin)

ABI_FIXTURES := $(ABI_CUBINS) $(ABI_FIX)/abi_add_long_90a.ptx \
  $(ABI_FIX)/abi_rebuild_sm90a.cubin \
  $(ABI_FIX)/cluster_sm90a.cubin $(ABI_FIX)/cluster_90a.ptx

# abi_add_long -> -DABI_ADD_LONG
abi_switch = -D$(shell echo $(1) | tr a-z A-Z)

$(ABI_CUBINS): $(ABI_FIX)/%_sm90a.cubin: tests/fixtures/kernels.cu
	@mkdir -p $(dir $@)
	$(NVCC) -cubin -arch=sm_90a $(call abi_switch,$*) $< -o $@
$(ABI_FIX)/abi_add_long_90a.ptx: tests/fixtures/kernels.cu
	@mkdir -p $(dir $@)
	$(NVCC) -ptx -arch=compute_90a -DABI_ADD_LONG $< -o $@
# The same source as kernels_sm90a.cubin, built again: must compare equal.
$(ABI_FIX)/abi_rebuild_sm90a.cubin: tests/fixtures/kernels.cu
	@mkdir -p $(dir $@)
	$(NVCC) -cubin -arch=sm_90a $< -o $@
$(ABI_FIX)/cluster_sm90a.cubin: tests/fixtures/cluster.cu
	@mkdir -p $(dir $@)
	$(NVCC) -cubin -arch=sm_90a $< -o $@
$(ABI_FIX)/cluster_90a.ptx: tests/fixtures/cluster.cu
	@mkdir -p $(dir $@)
	$(NVCC) -ptx -arch=compute_90a $< -o $@

fixtures: $(ABI_FIXTURES)
CHECK_DEPS += $(ABI_FIXTURES)
