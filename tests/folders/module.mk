# The folder check (lib/check-folders.sh) fed a deliberate violation of
# each kind: tests/folders/<case>/ are tiny libraries with folder.h maps,
# built here as objects; check_folders runs the script on each.
FOLDERS_FIX_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(sort $(wildcard tests/folders/*/*/*.c)))

$(BUILD)/tests/folders/check_folders: tests/folders/check_folders.c tests/testutil.h \
		$(FOLDERS_FIX_OBJS) $(CORE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -I tests $< -o $@ $(CHECK_LIBS) $(ALL_LDFLAGS)

CHECK_PROGRAMS += $(BUILD)/tests/folders/check_folders
