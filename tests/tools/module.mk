# Suites of the sageshim command line: each tests/tools/check_*.c runs the
# built command as a subprocess (and check_tool_json links the JSON writer).
TOOL_TEST_SRCS := $(sort $(wildcard tests/tools/check_*.c))
TOOL_TEST_BINS := $(TOOL_TEST_SRCS:tests/tools/%.c=$(BUILD)/tests/tools/%)

$(BUILD)/tests/tools/check_%: tests/tools/check_%.c tests/tools/toolrun.h tests/tools/doctor_site.h \
		tests/testutil.h \
		tests/hardening/bombs.h \
		$(CORE_LIB) $(BUILD)/tools/json.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -I tests -I tests/tools -I tools $< -o $@ \
		$(BUILD)/tools/json.o $(CORE_LIBS) $(CHECK_LIBS) $(ALL_LDFLAGS)

CHECK_PROGRAMS += $(TOOL_TEST_BINS)
CHECK_DEPS += $(SAGESHIM_BIN)
