# The repair (shim/repair*.c, shim/repair.py): fixture packages under
# $(BUILD)/tests/repair/<shape>/, each with an extension module built from
# qattn_ext.c for the python3 found here (fused/ also one from fused_ext.c),
# and check_repair, which runs that python3 with and without the preload
# library, and runs test_repair_py.py (repair.py alone, stub torch).
REPAIR_PYTHON := $(shell $(PYTHON) -c 'import sys; print(sys.executable)' 2>/dev/null)
REPAIR_EXT_SUFFIX := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))' 2>/dev/null)
REPAIR_PY_INCLUDE := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["include"])' 2>/dev/null)
REPAIR_DIR := $(BUILD)/tests/repair
REPAIR_PACKAGES := broken/sageattention healthy/sageattention late/sageattention elsewhere/notsage \
  fused/sageattention
REPAIR_PY_SRCS := $(wildcard $(REPAIR_PACKAGES:%=tests/repair/%/*.py))
REPAIR_FIXTURES := $(REPAIR_PY_SRCS:tests/repair/%=$(REPAIR_DIR)/%) \
                   $(REPAIR_PACKAGES:%=$(REPAIR_DIR)/%/_qattn_sm90$(REPAIR_EXT_SUFFIX)) \
                   $(REPAIR_DIR)/fused/sageattention/_fused$(REPAIR_EXT_SUFFIX) \
                   $(REPAIR_PY_SRCS:tests/repair/fused/%=$(REPAIR_DIR)/fused_multi/%) \
                   $(REPAIR_DIR)/fused_multi/sageattention/_fused$(REPAIR_EXT_SUFFIX)
# An ASan-built shim needs the sanitizer runtime loaded first in python3.
REPAIR_PRELOAD_FIRST := $(if $(findstring address,$(SANITIZE)),$(shell $(CC) -print-file-name=libasan.so))

$(REPAIR_DIR)/%.py: tests/repair/%.py
	@mkdir -p $(dir $@)
	cp $< $@

# The fixture extension is loaded by python3, never by a sanitized program.
$(REPAIR_DIR)/%/_qattn_sm90$(REPAIR_EXT_SUFFIX): tests/repair/qattn_ext.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O2 -Wall -Wextra -I $(REPAIR_PY_INCLUDE) $< -o $@

$(REPAIR_DIR)/%/_fused$(REPAIR_EXT_SUFFIX): tests/repair/fused_ext.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O2 -Wall -Wextra -I $(REPAIR_PY_INCLUDE) $< -o $@

# fused_multi/: the fused/ package with a _fused built for multi-phase init.
$(REPAIR_DIR)/fused_multi/%.py: tests/repair/fused/%.py
	@mkdir -p $(dir $@)
	cp $< $@
$(REPAIR_DIR)/fused_multi/sageattention/_fused$(REPAIR_EXT_SUFFIX): tests/repair/fused_ext.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O2 -Wall -Wextra -DFUSED_MULTI_PHASE -I $(REPAIR_PY_INCLUDE) $< -o $@

$(BUILD)/tests/repair/check_repair: tests/repair/check_repair.c tests/testutil.h \
		| $(REPAIR_FIXTURES) $(BUILD)/libsageshim.so
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -I tests \
	    -DREPAIR_PYTHON='"$(REPAIR_PYTHON)"' \
	    -DREPAIR_SOURCE_DIR='"$(CURDIR)/tests/repair"' \
	    -DREPAIR_FIXTURE_DIR='"$(abspath $(REPAIR_DIR))"' \
	    -DREPAIR_SHIM='"$(abspath $(BUILD)/libsageshim.so)"' \
	    -DREPAIR_PRELOAD_FIRST='"$(REPAIR_PRELOAD_FIRST)"' \
	    $< -o $@ $(CHECK_LIBS) $(ALL_LDFLAGS)

CHECK_PROGRAMS += $(BUILD)/tests/repair/check_repair
CHECK_DEPS += $(REPAIR_FIXTURES)
