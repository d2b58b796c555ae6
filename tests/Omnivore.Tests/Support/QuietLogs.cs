// QuietLogs: keeps Caffe-style Info lines out of the test output (warnings and errors
// still appear); set OMNIVORE_TEST_LOGS=1 to see everything.
using Omnivore.Core;

[SetUpFixture]
public class QuietLogs
{
    [OneTimeSetUp]
    public void Quiet() => Log.Verbose = Environment.GetEnvironmentVariable("OMNIVORE_TEST_LOGS") == "1";
}
