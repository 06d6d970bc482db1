# Default agent image: Debian tools and an unprivileged `sandbox` user whose home is the workspace.
ARG BASE
FROM ${BASE}
RUN groupadd --gid 1000 sandbox \
 && useradd --uid 1000 --gid 1000 --home-dir /sandbox --no-create-home --shell /bin/bash sandbox \
 && mkdir -p /sandbox \
 && cp -r /etc/skel/. /sandbox/ \
 && chown -R 1000:1000 /sandbox
ENV LANG=C.UTF-8 \
    HOME=/sandbox \
    PATH=/sandbox/.local/bin:/usr/local/bin:/usr/bin:/bin
WORKDIR /sandbox
USER sandbox
CMD ["bash"]
