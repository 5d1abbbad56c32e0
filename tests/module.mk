# Check suites of the core library and the tools: tests/check_<feature>.c,
# one program each, linked with the core library.
CORE_TEST_SRCS := $(sort $(wildcard tests/check_*.c))
CORE_TEST_BINS := $(CORE_TEST_SRCS:tests/%.c=$(BUILD)/tests/%)

$(BUILD)/tests/check_%: tests/check_%.c $(wildcard tests/*.h) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -I tests $< -o $@ $(CORE_LIBS) $(CHECK_LIBS) $(ALL_LDFLAGS)

CHECK_PROGRAMS += $(CORE_TEST_BINS)
