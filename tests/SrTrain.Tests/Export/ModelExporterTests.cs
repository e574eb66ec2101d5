using SrTrain.Export;

namespace SrTrain.Tests.Export;

public sealed class ModelExporterTests
{
    [Theory]
    [InlineData("/r/runs/photo/checkpoints/5000/net_g_ema.pth", ExportFormat.Onnx, false, "photo_5000.onnx")]
    [InlineData("/r/runs/photo/checkpoints/5000/net_g_ema.pth", ExportFormat.Safetensors, true, "photo_5000_fp16.safetensors")]
    [InlineData("/w/RealESRGAN_x4plus.pth", ExportFormat.Onnx, true, "RealESRGAN_x4plus_fp16.onnx")]
    [InlineData("/w/model.safetensors", ExportFormat.Pth, false, "model.pth")]
    public void DefaultOutputName_NamesTheRunAndStep_OrTheWeightFile(string weights, ExportFormat format, bool half, string expected) =>
        Assert.Equal(expected, ModelExporter.DefaultOutputName(weights, format, half));

    [Theory]
    [InlineData("a.onnx", ExportFormat.Onnx)]
    [InlineData("a.ONNX", ExportFormat.Onnx)]
    [InlineData("a.safetensors", ExportFormat.Safetensors)]
    [InlineData("a.pth", ExportFormat.Pth)]
    [InlineData("a.pt", ExportFormat.Pth)]
    [InlineData("a.bin", null)]
    public void FormatOf_GoesByTheExtension(string path, ExportFormat? expected) =>
        Assert.Equal(expected, ModelExporter.FormatOf(path));
}
