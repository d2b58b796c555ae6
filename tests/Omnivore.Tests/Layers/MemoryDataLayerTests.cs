// MemoryDataLayerTests: MemoryData serves consecutive batches of the arrays given to
// Reset and wraps around (checked against a naive slice of the arrays), its tops have
// Caffe's shapes (N, C, H, W) and (N), AddDatumVector applies transform_param (scale,
// mean_value) as the DataTransformer does, Reset leaves data untransformed (as Caffe),
// and the clear errors: no data yet, n not a multiple of batch_size, short arrays, bad
// memory_data_param. Its gradient check is trivial (no bottoms, no params) and is run to
// show backward is a no-op.
using Google.Protobuf;
using Omnivore.Core;
using Omnivore.Layers;
using Omnivore.Model.Caffe;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class MemoryDataLayerTests
{
    private const string Text =
        "name: 'mem' type: 'MemoryData' top: 'data' top: 'label' " +
        "memory_data_param { batch_size: 2 channels: 2 height: 1 width: 3 }";
    private const int Size = 2 * 1 * 3;

    [Test]
    public void ServesConsecutiveBatchesAndWrapsAround()
    {
        var data = NewBlob("data");
        var label = NewBlob("label");
        var layer = (MemoryDataLayer)SetUp(Text, [], [data, label]);
        try
        {
            Assert.That(data.Shape, Is.EqualTo(new[] { 2, 2, 1, 3 }));
            Assert.That(label.Shape, Is.EqualTo(new[] { 2 }));
            const int n = 6;
            var x = RandomValues(n * Size, 31, -1, 1);
            var y = Enumerable.Range(0, n).Select(i => (float)(i * 10)).ToArray();
            layer.Reset(x, y, n);
            for (int step = 0; step < 5; step++)
            {
                int start = step * 2 % n; // batches 0-1, 2-3, 4-5, then 0-1 again
                layer.Reshape([], [data, label]);
                layer.Forward([], [data, label]);
                Assert.That(data.DownloadData(), Is.EqualTo(x.AsSpan(start * Size, 2 * Size).ToArray()), $"data at step {step}");
                Assert.That(label.DownloadData(), Is.EqualTo(y.AsSpan(start, 2).ToArray()), $"labels at step {step}");
            }
            Assert.That(new GradientChecker().Check(layer, [], [data, label]), Is.EqualTo(0));
        }
        finally { DisposeAll(layer, data, label); }
    }

    [Test]
    public void ResetStartsAgainFromTheFirstItem()
    {
        var data = NewBlob("data");
        var label = NewBlob("label");
        var layer = (MemoryDataLayer)SetUp(Text, [], [data, label]);
        try
        {
            var x = RandomValues(4 * Size, 32, -1, 1);
            float[] y = [1, 2, 3, 4];
            layer.Reset(x, y, 4);
            layer.Forward([], [data, label]);
            layer.Reset(x, y, 4);
            layer.Forward([], [data, label]);
            Assert.That(label.DownloadData(), Is.EqualTo(new float[] { 1, 2 }));
        }
        finally { DisposeAll(layer, data, label); }
    }

    [Test]
    public void AddDatumVectorAppliesTransformParam()
    {
        var data = NewBlob("data");
        var label = NewBlob("label");
        var layer = (MemoryDataLayer)SetUp(
            Text.Replace("memory_data_param", "transform_param { scale: 0.5 mean_value: 10 mean_value: 20 } memory_data_param"),
            [], [data, label]);
        try
        {
            var datums = new List<Datum>();
            var expected = new List<float>();
            for (int i = 0; i < 2; i++)
            {
                var bytes = Enumerable.Range(0, Size).Select(j => (byte)(i * 50 + j * 7)).ToArray();
                datums.Add(new Datum { Channels = 2, Height = 1, Width = 3, Data = ByteString.CopyFrom(bytes), Label = i + 5 });
                for (int j = 0; j < Size; j++) expected.Add((bytes[j] - (j < 3 ? 10f : 20f)) * 0.5f);
            }
            layer.AddDatumVector(datums);
            layer.Forward([], [data, label]);
            AssertClose(data.DownloadData(), expected.ToArray(), 1e-6f, "transformed data");
            Assert.That(label.DownloadData(), Is.EqualTo(new float[] { 5, 6 }));
        }
        finally { DisposeAll(layer, data, label); }
    }

    [Test]
    public void ResetDoesNotTransformAsInCaffe()
    {
        var data = NewBlob("data");
        var label = NewBlob("label");
        var layer = (MemoryDataLayer)SetUp(Text.Replace("memory_data_param", "transform_param { scale: 0.5 } memory_data_param"),
                                           [], [data, label]);
        try
        {
            var x = RandomValues(2 * Size, 33, -1, 1);
            layer.Reset(x, [0, 1], 2);
            layer.Forward([], [data, label]);
            Assert.That(data.DownloadData(), Is.EqualTo(x));
        }
        finally { DisposeAll(layer, data, label); }
    }

    [Test]
    public void ForwardWithoutDataIsAClearError()
    {
        var data = NewBlob("data");
        var label = NewBlob("label");
        var layer = SetUp(Text, [], [data, label]);
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.Forward([], [data, label]));
            Assert.That(e!.Message, Does.Contain("'mem'").And.Contain("Reset"));
        }
        finally { DisposeAll(layer, data, label); }
    }

    [TestCase(3, 3 * Size, 3, "multiple of batch_size")]
    [TestCase(0, 0, 0, "multiple of batch_size")]
    [TestCase(4, 4 * Size - 1, 4, "data holds")]
    [TestCase(4, 4 * Size, 3, "labels holds")]
    public void BadResetIsAClearError(int n, int dataLength, int labelLength, string mentioned)
    {
        var data = NewBlob("data");
        var label = NewBlob("label");
        var layer = (MemoryDataLayer)SetUp(Text, [], [data, label]);
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.Reset(new float[dataLength], new float[labelLength], n));
            Assert.That(e!.Message, Does.Contain("'mem'").And.Contain(mentioned));
        }
        finally { DisposeAll(layer, data, label); }
    }

    [TestCase("memory_data_param { batch_size: 2 channels: 0 height: 1 width: 3 }")]
    [TestCase("")]
    public void BadParamIsAClearError(string param)
    {
        var data = NewBlob("data");
        var label = NewBlob("label");
        var layer = Create($"name: 'mem' type: 'MemoryData' {param}");
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.SetUp([], [data, label]));
            Assert.That(e!.Message, Does.Contain("'mem'").And.Contain("memory_data_param"));
        }
        finally { DisposeAll(layer, data, label); }
    }
}
