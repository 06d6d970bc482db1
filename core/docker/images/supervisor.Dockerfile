# Supervisor: Node.js + iptables + the bundled supervisor script, on the shared base.
ARG BASE
FROM ${BASE}
ENV LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
COPY supervisor.mjs /opt/openshell/supervisor.mjs
RUN chmod 0644 /opt/openshell/supervisor.mjs && node --version && iptables --version
USER root
ENTRYPOINT ["node", "/opt/openshell/supervisor.mjs"]
