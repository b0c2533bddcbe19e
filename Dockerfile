# source-xero, built the way Airbyte builds its Python connectors: Airbyte's Python connector base
# image, pinned by digest (the same string as data.connectorBuildOptions.baseImage in metadata.yaml; a
# unit test keeps the two equal), the project copied in and installed with `pip install .`: runtime
# dependencies only, no test extras.
#
#   docker build -t airbyte/source-xero:dev .
#   docker run --rm airbyte/source-xero:dev spec
#   docker run --rm -v $PWD/secrets:/secrets airbyte/source-xero:dev check --config /secrets/config.json
#   docker run --rm -v $PWD/secrets:/secrets airbyte/source-xero:dev read \
#       --config /secrets/config.json --catalog /secrets/catalog.json
FROM docker.io/airbyte/python-connector-base:4.0.2@sha256:9fdb1888c4264cf6fee473649ecb593f56f58e5d0096a87ee0b231777e2e3e73

WORKDIR /airbyte/integration_code

# .dockerignore lets in only pyproject.toml, README.md, requirements.lock and source_xero/: no secrets,
# tests or venvs. The lock pins every runtime dependency to the versions the tests ran with.
COPY . ./
RUN pip install --no-cache-dir -c requirements.lock . \
    && source-xero spec > /dev/null

# The base image's unprivileged user (uid 1000), as Airbyte runs its connectors.
USER airbyte

ENV AIRBYTE_ENTRYPOINT="source-xero"
ENTRYPOINT ["source-xero"]

LABEL io.airbyte.name=airbyte/source-xero
