// IResumableData: a data layer that can say where its next batch starts and go back
// there, so that a resumed run reads the same records with the same random crops and
// mirrors as a run that never stopped (saved in the .solverstate by the solver).
using Omnivore.Model.Caffe;

namespace Omnivore.Layers;

public interface IResumableData
{
    string Name { get; }

    /// <summary>Where the next batch Forward reads starts; null when this layer's source cannot seek.</summary>
    OmnivoreDataPosition? SavePosition();

    /// <summary>Continues from a saved position (between iterations).</summary>
    void RestorePosition(OmnivoreDataPosition position);
}
