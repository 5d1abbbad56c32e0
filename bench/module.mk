# bench/sha256_bench.c: SHA-256 throughput and bundle open time on the CPU
# (no GPU needed; bench/bench.sh reports it too).  The GPU programs are
# built by bench/build.sh on the GPU machine.
SHA256_BENCH := $(BUILD)/bench/sha256_bench

$(SHA256_BENCH): bench/sha256_bench.c $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< -o $@ $(CORE_LIBS) $(ALL_LDFLAGS)

ALL_TARGETS += $(SHA256_BENCH)
