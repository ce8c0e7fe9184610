# tn: build, test, run. Generated sources (lexer, parser, embedded stdlib) live in build/.
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN     = -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter
CPPFLAGS = -D_GNU_SOURCE -Isrc -Iruntime -Ibuild -I/usr/include/x86_64-linux-gnu
# LAPACKE is not linked: runtime/linalg.c dlopens it on first use (start-up cost).
# --as-needed drops libraries nothing references; -O1 lets ld optimise the hash tables.
LDFLAGS ?= -Wl,-O1,--as-needed
# BLIS's serial build when installed (Debian's libblis4-serial, beside the system's default
# OpenMP build): tn runs BLIS on one thread anyway, and the OpenMP build opens a parallel
# region on every call, a microsecond that a Linear on a 1x16 input cannot afford.
BLIS_SERIAL := $(patsubst %/libblis.so.4,%,$(firstword $(wildcard /usr/lib/*/blis-serial/libblis.so.4)))
ifneq ($(BLIS_SERIAL),)
BLISLIB = -L$(BLIS_SERIAL) -Wl,-rpath,$(BLIS_SERIAL) -l:libblis.so.4
else
BLISLIB = -lblis
endif
LDLIBS   = -lreadline $(BLISLIB) -lm -lpthread -ldl

SRC     := $(wildcard src/*.c) $(wildcard runtime/*.c)
GEN     := build/lexer.c build/parser.c build/stdlib.c
OBJ     := $(SRC:%.c=build/%.o) $(GEN:%.c=%.o)
ASANOBJ := $(SRC:%.c=build/asan/%.o) $(GEN:%.c=build/asan/%.o)
STDLIB  := $(sort $(wildcard stdlib/*.tn))

.PHONY: all run test asan clean deps format format-check bench
all: tn

tn: $(OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJ) $(LDLIBS)

build/%.o: %.c build/parser.h
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

build/%.o: build/%.c build/parser.h
	$(CC) $(WARN) -Wno-unused-function -Wno-unused-variable $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# lemon: -d puts parser.c, parser.h and the parser.out report in build/, -T names
# the template, and a grammar conflict fails the build. lemon leaves parser.h
# untouched when the tokens did not change, so objects recompile only then.
build/parser.c: grammar/parser.y
	@mkdir -p build
	lemon -dbuild -T/usr/share/lemon/lempar.c grammar/parser.y
build/parser.h: build/parser.c
	@test -f $@

build/lexer.c: grammar/lexer.re build/parser.h
	@mkdir -p build
	re2c -W -Werror --no-generation-date -o $@ $<

# The parser's tests: an ASan/UBSan build of the AST dumper run over tests/parse/.
PARSE_SRC = tests/unit/parse_dump.c src/parse.c src/arena.c build/parser.c build/lexer.c
build/parse_dump: $(PARSE_SRC) src/parse_internal.h src/ast.h build/parser.h
	$(CC) $(WARN) -Wno-unused-function -Wno-unused-variable $(CPPFLAGS) $(ASANFLAGS) -o $@ $(PARSE_SRC)
.PHONY: parse-test
parse-test: build/parse_dump
	sh tests/parse/run.sh build/parse_dump

build/stdlib.c: $(STDLIB) scripts/embed.sh
	@mkdir -p build
	sh scripts/embed.sh $(STDLIB) > $@

# AddressSanitizer + UBSan build of the same sources.
ASANFLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
asan: tn-asan
tn-asan: $(ASANOBJ)
	$(CC) $(ASANFLAGS) -o $@ $(ASANOBJ) $(LDLIBS)
build/asan/build/%.o: build/%.c build/parser.h
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -Wno-unused-function -Wno-unused-variable $(CPPFLAGS) $(ASANFLAGS) -MMD -MP -c $< -o $@
build/asan/%.o: %.c build/parser.h
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CPPFLAGS) $(ASANFLAGS) -MMD -MP -c $< -o $@

deps:
	sh scripts/install-deps

run: deps
	$(MAKE) tn
	./tn

test: tn
	sh tests/run.sh ./tn

# Only the pty-driven REPL tests (tests/repl/*.sh, through tmux).
.PHONY: repl-test
repl-test: tn
	sh tests/run.sh ./tn tests/repl/

bench: tn
	sh scripts/bench.sh

format:
	clang-format -i src/*.c src/*.h runtime/*.c runtime/*.h
format-check:
	clang-format --dry-run -Werror src/*.c src/*.h runtime/*.c runtime/*.h

clean:
	rm -rf build tn tn-asan

-include $(OBJ:.o=.d) $(ASANOBJ:.o=.d)

# libFuzzer harnesses (tests/fuzz/fuzz_*.c: the file readers, the parser, the evaluator, einsum,
# indexing). `make fuzz` builds and runs them all through scripts/fuzz.sh for FUZZ_SECONDS each;
# `make fuzz-build` only builds them. TN_FUZZ caps single allocations (src/mem.c) so that a
# program asking for terabytes meets MemoryError, not libFuzzer's malloc limit.
FUZZCC    = clang
FUZZFLAGS = -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -DTN_FUZZ
FUZZOBJ  := $(filter-out build/fuzz/src/main.o,$(SRC:%.c=build/fuzz/%.o)) $(GEN:%.c=build/fuzz/%.o)
FUZZSRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS   = $(FUZZSRC:tests/fuzz/%.c=build/%)
FUZZHDR  := $(wildcard tests/fuzz/*.h)
.PHONY: fuzz fuzz-build fuzz-replay fuzz-replay-asan
fuzz: fuzz-build
	sh scripts/fuzz.sh
fuzz-build: $(FUZZERS)
build/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZHDR) $(FUZZOBJ)
	$(FUZZCC) -std=c11 $(CPPFLAGS) $(FUZZFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZOBJ) $(LDLIBS) -lrt
build/fuzz/build/%.o: build/%.c build/parser.h
	@mkdir -p $(dir $@)
	$(FUZZCC) -std=c11 -w $(CPPFLAGS) $(FUZZFLAGS) -MMD -MP -c $< -o $@
build/fuzz/%.o: %.c build/parser.h
	@mkdir -p $(dir $@)
	$(FUZZCC) -std=c11 -w $(CPPFLAGS) $(FUZZFLAGS) -MMD -MP -c $< -o $@
# the objects are intermediate to make's pattern chain: keep them when a link fails
.SECONDARY: $(FUZZOBJ)
-include $(FUZZOBJ:.o=.d)

# The same harnesses without libFuzzer, for tests/unit/fuzz_regress_run.sh: replay_main.c feeds
# them files. build/replay/ links the ordinary objects, build/replay-asan/ the ASan ones.
REPLAYOBJ     := $(filter-out build/src/main.o,$(OBJ))
REPLAYASANOBJ := $(filter-out build/asan/src/main.o,$(ASANOBJ))
fuzz-replay: $(FUZZSRC:tests/fuzz/%.c=build/replay/%)
fuzz-replay-asan: $(FUZZSRC:tests/fuzz/%.c=build/replay-asan/%)
build/replay/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c $(FUZZHDR) $(REPLAYOBJ)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -Wno-unused-function $(CPPFLAGS) $(CFLAGS) -o $@ $< tests/fuzz/replay_main.c $(REPLAYOBJ) $(LDLIBS) -lrt
build/replay-asan/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c $(FUZZHDR) $(REPLAYASANOBJ)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -Wno-unused-function $(CPPFLAGS) $(ASANFLAGS) -o $@ $< tests/fuzz/replay_main.c $(REPLAYASANOBJ) $(LDLIBS) -lrt
