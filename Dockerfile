# dfiu's container image. The release workflow builds it for linux/amd64 and
# linux/arm64 and pushes it to GHCR, where action.yml's runs.image points; a
# fork or a GitHub Enterprise Server without GHCR builds it itself (README,
# "Your own image"). It is kept small: scratch, the CA bundle and the binary.
#
# Build stage: the Go version here is go.mod's, exactly (dockerfile_test.go
# checks it), and the alpine variant because it is the smallest pull.
FROM golang:1.26.8-alpine AS build
WORKDIR /src
# Modules first, in their own layer: it is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ENV CGO_ENABLED=0
# The release passes the tag and the commit (build-args); without them
# "dfiu version" says devel. The nosim tag leaves out the GitHub simulator,
# which the action never runs. The release's binaries are built with the
# same flags (release_test.go compares them).
ARG VERSION
ARG COMMIT
RUN go build -trimpath -tags nosim -ldflags="-s -w -X github.com/dfiu/dfiu/internal/version.version=${VERSION} -X github.com/dfiu/dfiu/internal/version.commit=${COMMIT}" -o /dfiu .

# Final stage: the static binary and the CA bundle for HTTPS, nothing else.
# scratch rather than distroless: distroless publishes no version tags (only
# latest, nonroot and digests), and every base image here is pinned by an
# exact version tag.
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /dfiu /dfiu
# No USER: dfiu runs as root. A container action has to write the runner's
# mounted GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, which belong to the
# runner's user, and only root can do that from inside the container.
ENTRYPOINT ["/dfiu"]
