using Orchestrator.Domain.Training;

namespace Orchestrator.Domain.Tests;

public class ComputeDeviceTests
{
    [Theory]
    [InlineData("cpu", "cpu")]
    [InlineData(" CPU ", "cpu")]
    [InlineData("cuda", "cuda:0")]
    [InlineData("cuda:0", "cuda:0")]
    [InlineData("cuda:12", "cuda:12")]
    public void Devices_parse_as_libtorch_writes_them(string text, string expected)
    {
        ComputeDevice.Parse(text).ToString().Should().Be(expected);
    }

    [Theory]
    [InlineData("")]
    [InlineData("gpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:1.5")]
    [InlineData("mps")]
    [InlineData("cpu:0")]
    public void Anything_else_is_refused_saying_what_to_give(string text)
    {
        FluentActions.Invoking(() => ComputeDevice.Parse(text)).Should().Throw<FormatException>()
            .WithMessage("*give cpu, cuda or cuda:N*");
    }

    [Fact]
    public void The_default_device_is_the_cpu_and_only_cuda_devices_have_an_index()
    {
        default(ComputeDevice).Should().Be(ComputeDevice.Cpu);
        ComputeDevice.Cpu.IsCuda.Should().BeFalse();
        ComputeDevice.Cuda(3).CudaIndex.Should().Be(3);
    }
}
