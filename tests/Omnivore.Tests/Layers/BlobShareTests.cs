// BlobShareTests: Blob.ShareFrom (Caffe's ShareData + ShareDiff): a view reads its
// source's current buffers, keeps following them when the source reallocates, never
// frees them, may reshape within the source's count, and rejects mismatched counts,
// self-sharing and cycles; BindTo ends the sharing.
using Omnivore.Core;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class BlobShareTests
{
    [Test]
    public void ViewFollowsItsSource()
    {
        using var src = RandomBlob("src", 1, -1, 1, 2, 6);
        using var view = NewBlob("view", 3, 4);
        view.ShareFrom(src);
        Assert.That(view.Shape, Is.EqualTo(new[] { 3, 4 }));
        Assert.That(view.Data.Ptr, Is.EqualTo(src.Data.Ptr));
        Assert.That(view.Diff.Ptr, Is.EqualTo(src.Diff.Ptr));
        Assert.That(view.Data.Length, Is.EqualTo(12));

        view.Reshape(2, 3);   // smaller: still a view
        Assert.That(view.Data.Ptr, Is.EqualTo(src.Data.Ptr));
        Assert.That(view.Data.Length, Is.EqualTo(6));

        src.Reshape(4, 10);   // the source reallocates
        view.ShareFrom(src, [40]);
        var x = RandomValues(40, 2, -1, 1);
        src.UploadData(x);
        AssertClose(view.DownloadData(), x, 0f, "view after the source grew");
        view.UploadDiff(x);
        AssertClose(src.DownloadDiff(), x, 0f, "writes through the view");

        var e = Assert.Throws<OmnivoreException>(() => view.Reshape(41));
        Assert.That(e!.Message, Does.Contain("'view'").And.Contain("'src'"));
        view.Dispose();   // frees nothing
        AssertClose(src.DownloadData(), x, 0f, "source intact after the view is disposed");
    }

    [Test]
    public void ChainedViewsReadTheOriginal()
    {
        using var a = RandomBlob("a", 3, -1, 1, 12);
        using var b = NewBlob("b", 3, 4);
        using var c = NewBlob("c", 2, 6);
        b.ShareFrom(a);
        c.ShareFrom(b);
        Assert.That(c.Data.Ptr, Is.EqualTo(a.Data.Ptr));
        var e = Assert.Throws<OmnivoreException>(() => a.ShareFrom(c));
        Assert.That(e!.Message, Does.Contain("already shares"));
        Assert.Throws<OmnivoreException>(() => a.ShareFrom(a));
    }

    [Test]
    public void CountsMustMatch()
    {
        using var a = NewBlob("a", 12);
        using var b = NewBlob("b", 13);
        var e = Assert.Throws<OmnivoreException>(() => b.ShareFrom(a));
        Assert.That(e!.Message, Does.Contain("counts differ"));
        Assert.Throws<OmnivoreException>(() => b.ShareFrom(a, [2, 5]));
        b.ShareFrom(a, [3, 4]);
        Assert.That(b.Shape, Is.EqualTo(new[] { 3, 4 }));
    }

    [Test]
    public void BindToEndsSharing()
    {
        using var a = NewBlob("a", 4);
        using var b = NewBlob("b", 4);
        using var backing = NewBlob("backing", 8);
        b.ShareFrom(a);
        b.BindTo(backing.Data.Slice(0, 4), backing.Diff.Slice(4, 4));
        Assert.That(b.SharedSource, Is.Null);
        Assert.That(b.Data.Ptr, Is.EqualTo(backing.Data.Ptr));
    }
}
