# Worker image: the engine built against the CUDA libtorch from pytorch.org, .NET 10, the orchestrator.
# NOT BUILT OR TESTED on the development machine (no Docker, no GPU there); kept simple on purpose. Slot gpu-N of
# `worker --gpus` trains on cuda:N; `orchestrator engine info` in the container says what libtorch sees.
# Build from the repository root:
#   docker build -f docker/worker.Dockerfile -t orchestrator-worker .

# The build stage needs the CUDA toolkit (headers, nvcc), which libtorch's CMake package looks for; the runtime does not.
ARG CUDA_BUILD_IMAGE=nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04
ARG CUDA_IMAGE=nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04
ARG LIBTORCH_URL=https://download.pytorch.org/libtorch/cu124/libtorch-cxx11-abi-shared-with-deps-2.4.1%2Bcu124.zip

FROM ${CUDA_BUILD_IMAGE} AS build
ARG LIBTORCH_URL
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        cmake g++ make unzip curl ca-certificates libopencv-dev libdcmtk-dev dotnet-sdk-10.0 nodejs npm \
    && rm -rf /var/lib/apt/lists/*
RUN curl -fsSL "$LIBTORCH_URL" -o /tmp/libtorch.zip && unzip -q /tmp/libtorch.zip -d /opt && rm /tmp/libtorch.zip
WORKDIR /src
COPY . .
# A fresh CMake configure against the CUDA libtorch (never reuse a host build directory).
RUN rm -rf src/Orchestrator.Engine/obj \
    && CMAKE_PREFIX_PATH=/opt/libtorch dotnet publish src/Orchestrator.Cli -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o /app

FROM ${CUDA_IMAGE}
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        dotnet-runtime-10.0 aspnetcore-runtime-10.0 libopencv-core4.5d libopencv-imgproc4.5d libopencv-imgcodecs4.5d libdcmtk16 \
        libgomp1 fontconfig fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/libtorch/lib /opt/libtorch/lib
COPY --from=build /app /app
ENV LD_LIBRARY_PATH=/opt/libtorch/lib \
    ORCHESTRATOR_ARTIFACTS=/shared/artifacts
# Runs as an unprivileged user; the store password comes from a mounted passfile (PGPASSFILE), never argv.
RUN useradd --create-home --uid 1000 orchestrator
USER orchestrator
WORKDIR /shared
ENTRYPOINT ["dotnet", "/app/orchestrator.dll"]
CMD ["worker", "--gpus", "0"]
