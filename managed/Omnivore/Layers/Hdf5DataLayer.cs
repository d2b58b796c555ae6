// Hdf5DataLayer: Caffe's HDF5Data layer. hdf5_data_param.source is a text file listing
// HDF5 files; each file holds one dataset per top blob, named like the top, whose first
// dimension is the example index. Batches run through the files in order (shuffled
// files and rows every pass when `shuffle` is set), wrapping around at the end.
using Omnivore.Core;
using Omnivore.Data;

namespace Omnivore.Layers;

public sealed class Hdf5DataLayer : Layer
{
    private List<string> _files = [];
    private int[] _fileOrder = [];
    private int _filePos, _row;
    private int[] _rowOrder = [];
    private Hdf5Table[] _tables = [];
    private int _batch;
    private Rng? _shuffle;
    private float[][] _host = [];

    public Hdf5DataLayer(LayerContext c) : base(c) { }

    public override string Type => "HDF5Data";
    protected override int ExactBottoms => 0;
    protected override int MinTops => 1;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.Hdf5DataParam ?? throw Error("missing hdf5_data_param");
        _batch = (int)p.BatchSize;
        if (_batch <= 0) throw Error("hdf5_data_param.batch_size must be positive");
        if (!File.Exists(p.Source)) throw Error($"source list '{p.Source}' does not exist");
        _files = File.ReadAllLines(p.Source).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        if (_files.Count == 0) throw Error($"source list '{p.Source}' names no HDF5 files");
        Log.Info($"Number of HDF5 files: {_files.Count}");
        _fileOrder = Enumerable.Range(0, _files.Count).ToArray();
        if (p.Shuffle)
        {
            _shuffle = Context.Rng.Fork();
            Shuffle(_fileOrder);
        }
        LoadFile(top);
        _host = new float[top.Count][];
        for (int t = 0; t < top.Count; t++)
        {
            top[t].Reshape([_batch, .. _tables[t].RowShape]);
            _host[t] = new float[_batch * _tables[t].RowLength];
        }
    }

    private void LoadFile(IReadOnlyList<Blob> top)
    {
        var file = _files[_fileOrder[_filePos]];
        Log.Info($"Loading HDF5 file: {file}");
        try
        {
            _tables = top.Select(t => Hdf5Rows.Read(file, t.Name)).ToArray();
        }
        catch (OmnivoreException e)
        {
            throw Error(e.Message);
        }
        int rows = _tables[0].Rows;
        for (int t = 1; t < _tables.Length; t++)
            if (_tables[t].Rows != rows)
                throw Error($"{file}: dataset '{top[t].Name}' has {_tables[t].Rows} rows, '{top[0].Name}' has {rows}");
        _rowOrder = Enumerable.Range(0, rows).ToArray();
        if (_shuffle is not null) Shuffle(_rowOrder);
        _row = 0;
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) { }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        for (int i = 0; i < _batch; i++)
        {
            if (_row >= _rowOrder.Length) NextFile(top);
            for (int t = 0; t < top.Count; t++)
            {
                int len = _tables[t].RowLength;
                Array.Copy(_tables[t].Values, (long)_rowOrder[_row] * len, _host[t], (long)i * len, len);
            }
            _row++;
        }
        for (int t = 0; t < top.Count; t++) top[t].UploadData(_host[t]);
    }

    private void NextFile(IReadOnlyList<Blob> top)
    {
        if (++_filePos >= _files.Count)
        {
            _filePos = 0;
            if (_shuffle is not null) Shuffle(_fileOrder);
            Log.Info("Looping around to first file.");
        }
        if (_files.Count > 1 || _shuffle is not null) LoadFile(top);
        else _row = 0;
        for (int t = 0; t < top.Count; t++)
            if (_tables[t].RowLength != _host[t].Length / _batch)
                throw Error($"'{_files[_fileOrder[_filePos]]}': rows of '{top[t].Name}' differ in shape from the first file");
    }

    private void Shuffle(int[] a)
    {
        for (int i = a.Length - 1; i > 0; i--)
        {
            int j = _shuffle!.Next(i + 1);
            (a[i], a[j]) = (a[j], a[i]);
        }
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom) { }
}
