# Hardening tests: secure execution (setuid/setgid), hostile and broken
# input, concurrency and lifetime, under the tests/shim harness.
#   check_trust     ss_file_trusted and the secure config/bundle loading (core)
#   check_secure    a setgid client (AT_SECURE set by the kernel) end to end
#   check_hostile   lying images, broken bundles and configs, unwritable log
#   check_lifetime  threads, fork, dlclose + reload, several devices
#   check_promises  never hang, kill or write into the host's files (issue 15)
#   valgrind.sh     the clients under memcheck (not part of make check)
HD := $(BUILD)/tests/hardening
HD_SHIM := $(BUILD)/tests/shim

$(HD)/check_trust: tests/hardening/check_trust.c tests/testutil.h $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -I tests $< -o $@ $(CORE_LIBS) $(CHECK_LIBS) $(ALL_LDFLAGS)

$(HD)/check_secure $(HD)/check_hostile $(HD)/check_lifetime $(HD)/check_promises: $(HD)/%: \
    tests/hardening/%.c tests/hardening/bombs.h \
    tests/shim/harness.c tests/shim/harness.h tests/testutil.h $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -I tests -I tests/shim $< tests/shim/harness.c \
	  -o $@ $(CORE_LIBS) $(CHECK_LIBS) -ldl $(ALL_LDFLAGS)

# ---- bundles ----
hd_manifest = printf 'label test@hardening\nfatbin %s module=_qattn_sm90 archs=90,120 kernels=2 sha256=%s\n' \
  $(2) $(3) > $(1)/MANIFEST

$(HD)/bundle/watched_fixed.fatbin: $(HD_SHIM)/watched_fixed.fatbin
	@mkdir -p $(dir $@)
	cp $< $@
$(HD)/bundle/MANIFEST: $(HD)/bundle/watched_fixed.fatbin
	$(call hd_manifest,$(dir $@),watched_fixed.fatbin,$$(sha256sum $< | cut -d' ' -f1))

# Cut in half; the MANIFEST hash is the cut file's, so only parsing can tell.
$(HD)/bundle_truncated/MANIFEST: $(HD_SHIM)/watched_fixed.fatbin
	@mkdir -p $(dir $@)
	head -c $$(( $$(stat -c %s $<) / 2 )) $< > $(dir $@)watched_fixed.fatbin
	$(call hd_manifest,$(dir $@),watched_fixed.fatbin,$$(sha256sum $(dir $@)watched_fixed.fatbin | cut -d' ' -f1))

# Another valid fatbin swapped in under the corrected file's hash.
$(HD)/bundle_swapped/MANIFEST: $(HD_SHIM)/watched_fixed.fatbin $(HD_SHIM)/watched_orig.fatbin
	@mkdir -p $(dir $@)
	cp $(HD_SHIM)/watched_orig.fatbin $(dir $@)watched_fixed.fatbin
	$(call hd_manifest,$(dir $@),watched_fixed.fatbin,$$(sha256sum $< | cut -d' ' -f1))

$(HD)/bundle_noparam/watched_noparam.fatbin: tests/hardening/watched_noparam.cu
	@mkdir -p $(dir $@)
	$(NVCC) -fatbin $(SHIM_WATCHED_ARCHS) $< -o $@
$(HD)/bundle_noparam/MANIFEST: $(HD)/bundle_noparam/watched_noparam.fatbin
	$(call hd_manifest,$(dir $@),watched_noparam.fatbin,$$(sha256sum $< | cut -d' ' -f1))

# ---- watched modules whose image lies about its size ----
# A little (the claimed bytes are still mapped) and a lot (they are not).
$(HD)/lie_small.fatbin: $(HD_SHIM)/watched_orig.fatbin tests/hardening/lie_size.py
	@mkdir -p $(dir $@)
	$(PYTHON) tests/hardening/lie_size.py $< $@ 256
$(HD)/lie_large.fatbin: $(HD_SHIM)/watched_orig.fatbin tests/hardening/lie_size.py
	@mkdir -p $(dir $@)
	$(PYTHON) tests/hardening/lie_size.py $< $@ 0x4000000
HD_LIE_SMALL_SO := $(HD)/small/sageattention/_qattn_sm90.cpython-311-x86_64-linux-gnu.so
HD_LIE_LARGE_SO := $(HD)/large/sageattention/_qattn_sm90.cpython-311-x86_64-linux-gnu.so
$(HD_LIE_SMALL_SO): tests/shim/module_image.c $(HD)/lie_small.fatbin
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared -DFIXTURE_FATBIN='"$(HD)/lie_small.fatbin"' $< -o $@ $(ALL_LDFLAGS)
$(HD_LIE_LARGE_SO): tests/shim/module_image.c $(HD)/lie_large.fatbin
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared -DFIXTURE_FATBIN='"$(HD)/lie_large.fatbin"' $< -o $@ $(ALL_LDFLAGS)

# ---- clients ----
HD_CLIENT_SRCS := tests/shim/client_common.c tests/shim/client_common.h
# client_fd_reuse: closes descriptors > 2, opens its own file, then loads.
$(HD)/client_fd_reuse: tests/hardening/client_fd_reuse.c tests/hardening/driver.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< -o $@ -ldl $(ALL_LDFLAGS)
# client_fork_dlsym: forks while a thread looks up a watched PyInit_.
$(HD)/client_fork_dlsym: tests/hardening/client_fork_dlsym.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< -o $@ -ldl -lpthread $(ALL_LDFLAGS)
# client_dead_stderr: execs a program whose stderr is a pipe nobody reads.
$(HD)/client_dead_stderr: tests/hardening/client_dead_stderr.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< -o $@ $(ALL_LDFLAGS)
# A watched "extension module" exporting only PyInit__qattn_sm90 (never
# called: built without the sanitizers like the repair suite's fixtures).
HD_PYINIT_SO := $(HD)/pyinit/sageattention/_qattn_sm90.cpython-311-x86_64-linux-gnu.so
$(HD_PYINIT_SO): tests/hardening/pyinit_stub.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O2 -Wall -Wextra $< -o $@
# client_fork: loads, forks; parent and child each load and launch again.
# client_reload: dlopen, load, unload, dlclose, several rounds.
$(HD)/client_fork $(HD)/client_reload: $(HD)/%: tests/hardening/%.c tests/hardening/driver.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< -o $@ -ldl -lpthread $(ALL_LDFLAGS)

# The secure client: tests/shim/client_linked with the preload library as a
# dependency (LD_PRELOAD and LD_LIBRARY_PATH mean nothing to a setgid
# program) found through an absolute DT_RPATH in $(HD)/secure/lib, whose
# ../etc/sageshim.conf the test writes.
HD_SECURE := $(HD)/secure
$(HD_SECURE)/lib/libsageshim.so: $(SHIM_LIB)
	@mkdir -p $(dir $@)
	cp $< $@
# (tests/shim/module.mk, read after this file, builds it.)
$(HD_SECURE)/lib/libcuda.so.1: $(HD_SHIM)/fake/libcuda.so.1
	@mkdir -p $(dir $@)
	cp $< $@
$(HD_SECURE)/client: tests/shim/client_linked.c $(HD_CLIENT_SRCS) \
    $(HD_SECURE)/lib/libsageshim.so $(HD_SECURE)/lib/libcuda.so.1
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -I tests/shim tests/shim/client_linked.c tests/shim/client_common.c \
	  -o $@ -Wl,--disable-new-dtags,-rpath,$(abspath $(HD_SECURE)/lib) -Wl,--no-as-needed \
	  -L $(HD_SECURE)/lib -lsageshim -l:libcuda.so.1 -ldl -lpthread $(ALL_LDFLAGS)

HD_FIXTURES := $(HD)/bundle/MANIFEST $(HD)/bundle_truncated/MANIFEST \
  $(HD)/bundle_swapped/MANIFEST $(HD)/bundle_noparam/MANIFEST \
  $(HD_LIE_SMALL_SO) $(HD_LIE_LARGE_SO) $(HD)/client_fork $(HD)/client_reload \
  $(HD)/client_fd_reuse $(HD)/client_fork_dlsym $(HD)/client_dead_stderr $(HD_PYINIT_SO) \
  $(HD_SECURE)/client

CHECK_PROGRAMS += $(HD)/check_trust $(HD)/check_secure $(HD)/check_hostile $(HD)/check_lifetime \
  $(HD)/check_promises
CHECK_DEPS += $(HD_FIXTURES)
fixtures: $(HD_FIXTURES)
