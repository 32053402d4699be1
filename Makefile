# The README's commands. `make test` is what CI runs.
.PHONY: run test test-deps test-tz test-pg fuzz lint bench

run:
	go run .

test: test-deps lint
	go test -race -count=1 ./...

# The money path, the pages and the end-to-end suite again on a server in
# China's zone: the app must behave the same whatever TZ is. Debian's tzdata
# provides the zone; the check fails loudly if it does not take effect.
test-tz: test-deps
	@test -e /usr/share/zoneinfo/Asia/Shanghai || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tzdata >/dev/null; }
	@test "$$(TZ=Asia/Shanghai date +%z)" = "+0800" || { echo "TZ=Asia/Shanghai does not take effect"; exit 1; }
	TZ=Asia/Shanghai go test -race -count=1 ./checkout/ ./handlers/ ./store/ .

# The store, the money path, the pages and the end-to-end suite again on
# PostgreSQL: .ci/with-postgres starts a throwaway cluster of its own
# (installing Debian's postgresql when missing) and each test gets a fresh
# database on it (testrig.DatabaseURL).
test-pg: test-deps
	.ci/with-postgres go test -race -count=1 ./internal/testrig/ ./store/ ./checkout/ ./handlers/ .

# The browser tests need Chromium, and the screenshots of the Chinese pages a
# CJK font (WenQuanYi Micro Hei, 5 MB); install Debian's when missing.
test-deps:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@test -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null; }

lint:
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	go vet ./...

# A short run of every fuzz target (seed corpus plus FUZZTIME of new inputs
# each). A count ("300000x"), not a duration: Go 1.26's fuzz coordinator can
# fail a clean run with "context deadline exceeded" when a duration runs out
# (golang/go#75804, fixed in Go 1.27).
FUZZTIME ?= 300000x
fuzz:
	go test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./wxpay/
	go test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime $(FUZZTIME) ./wxpay/
	go test -run '^$$' -fuzz '^FuzzParseNotification$$' -fuzztime $(FUZZTIME) ./wxpay/
	go test -run '^$$' -fuzz '^FuzzParseRefundNotification$$' -fuzztime $(FUZZTIME) ./wxpay/
	go test -run '^$$' -fuzz '^FuzzEpayVerify$$' -fuzztime $(FUZZTIME) ./gateway/
	go test -run '^$$' -fuzz '^FuzzParseYuan$$' -fuzztime $(FUZZTIME) ./gateway/
	go test -run '^$$' -fuzz '^FuzzVerifyWebhook$$' -fuzztime $(FUZZTIME) ./gateway/
	go test -run '^$$' -fuzz '^FuzzOneJSONObject$$' -fuzztime $(FUZZTIME) ./handlers/
	go test -run '^$$' -fuzz '^FuzzFormatExchange$$' -fuzztime $(FUZZTIME) ./handlers/
	go test -run '^$$' -fuzz '^FuzzParseNotification$$' -fuzztime $(FUZZTIME) ./wxpay/v3/
	go test -run '^$$' -fuzz '^FuzzDecodeReply$$' -fuzztime $(FUZZTIME) ./wxpay/sns/
	go test -run '^$$' -fuzz '^FuzzPayJSAPI$$' -fuzztime $(FUZZTIME) ./wxpay/wxpaysim/
	go test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./imaging/
	go test -run '^$$' -fuzz '^FuzzParseYuan$$' -fuzztime $(FUZZTIME) ./models/
	go test -run '^$$' -fuzz '^FuzzBuyerValidate$$' -fuzztime $(FUZZTIME) ./models/
	go test -run '^$$' -fuzz '^FuzzScanGoods$$' -fuzztime $(FUZZTIME) ./handlers/
	go test -run '^$$' -fuzz '^FuzzAppendCSVCell$$' -fuzztime $(FUZZTIME) ./handlers/
	go test -run '^$$' -fuzz '^FuzzStatusJSON$$' -fuzztime $(FUZZTIME) ./handlers/
	go test -run '^$$' -fuzz '^FuzzParseSQLiteTime$$' -fuzztime $(FUZZTIME) ./store/

bench:
	go test -run '^$$' -bench . -benchmem ./wxpay/

# The suite's wrk run (issue 17) needs wrk, an external HTTP load tool;
# install Debian's when missing. Without it the suite skips that run.
.PHONY: bench-deps
bench-deps:
	@command -v wrk >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
