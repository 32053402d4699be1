# wxcheckout: build with CGO (mattn/go-sqlite3), run as an unprivileged user.
#   docker build -t wxcheckout .
#   real mode:  docker run -p 8080:8080 -v wxcheckout:/data --env-file wxcheckout.env wxcheckout
#   demo:       docker run -p 8080:8080 -e SIMULATOR_PUBLIC=1 wxcheckout
# See README.md, "Running in production".

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/wxcheckout .

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin wxcheckout \
 && mkdir -p /data && chown 10001:10001 /data
COPY --from=build /out/wxcheckout /usr/local/bin/wxcheckout
# The database lives in the volume. ADDR listens on every interface, as a
# container must: without WXPAY_MCH_ID (simulator mode) the app refuses
# that until SIMULATOR_PUBLIC=1 is given explicitly — anyone reaching the
# simulator can mark orders paid. Real mode needs WXPAY_MCH_ID,
# WXPAY_APPID, WXPAY_API_KEY and PUBLIC_URL (README, Configuration).
ENV DATABASE_URL=sqlite:/data/wxcheckout.db \
    ADDR=:8080
VOLUME /data
WORKDIR /data
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/wxcheckout", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/wxcheckout"]
CMD ["serve"]
