# Shared base when a registry is reachable: same suite and package list as the debootstrap rootfs.
ARG SUITE=bookworm
FROM debian:${SUITE}-slim
ARG PACKAGES
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${PACKAGES} \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*
ENV LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
