using System.Globalization;

namespace AgentBatch.Testing.Internal;

/// <summary>The files and batches the mock's batch endpoints hold, and the one lock that guards them.</summary>
/// <remarks>
/// Every read and change of a file, a batch or a batch's requests happens under <see cref="Gate"/>, HTTP handlers and the
/// test's calls alike; snapshots (<see cref="MockBatch"/>, <see cref="MockBatchFile"/>) are what leaves it. The lock is
/// reentrant, so a responder that reads the batch endpoints while a batch runs it does not deadlock.
/// </remarks>
internal sealed class MockBatchStore
{
    /// <summary>The completion window both providers give a batch.</summary>
    public static readonly TimeSpan CompletionWindow = TimeSpan.FromHours(24);

    private readonly List<MockBatchFile> _files = [];
    private readonly List<MockBatchRecord> _batches = [];
    private int _fileCount;
    private int _batchCount;
    private int _requestIdCount;

    /// <summary>Gets the lock that guards everything here.</summary>
    public Lock Gate { get; } = new();

    /// <summary>Gets the files, in creation order.</summary>
    public IReadOnlyList<MockBatchFile> Files => _files;

    /// <summary>Gets the batches, in creation order.</summary>
    public IReadOnlyList<MockBatchRecord> Batches => _batches;

    /// <summary>Adds a file under a new id.</summary>
    /// <param name="create">Makes the file from its id.</param>
    /// <returns>The file.</returns>
    public MockBatchFile AddFile(Func<string, MockBatchFile> create)
    {
        var file = create(string.Create(CultureInfo.InvariantCulture, $"file-mock-{++_fileCount:D6}"));
        _files.Add(file);
        return file;
    }

    /// <summary>Finds a file that has not been deleted.</summary>
    /// <param name="id">The file id.</param>
    /// <returns>The file, or <see langword="null"/>.</returns>
    public MockBatchFile? FindFile(string id) => _files.Find(f => f.Id == id && !f.IsDeleted);

    /// <summary>Marks a file deleted.</summary>
    /// <param name="id">The file id.</param>
    /// <returns><see langword="true"/> if it existed and was not deleted yet.</returns>
    public bool DeleteFile(string id)
    {
        var index = _files.FindIndex(f => f.Id == id && !f.IsDeleted);
        if (index < 0)
        {
            return false;
        }

        _files[index] = _files[index].AsDeleted();
        return true;
    }

    /// <summary>Takes the next batch number and makes the batch's id from it.</summary>
    /// <param name="prefix">The id prefix: <c>batch_mock_</c> or <c>msgbatch_mock_</c>.</param>
    /// <returns>The number (from 1) and the id.</returns>
    public (int Ordinal, string Id) NextBatchId(string prefix)
    {
        var ordinal = ++_batchCount;
        return (ordinal, string.Create(CultureInfo.InvariantCulture, $"{prefix}{ordinal:D6}"));
    }

    /// <summary>A new <c>request_id</c>, as the provider stamps on each response.</summary>
    /// <returns>The id.</returns>
    public string NextRequestId() => string.Create(CultureInfo.InvariantCulture, $"req_mock_{++_requestIdCount:D6}");

    /// <summary>Adds a batch.</summary>
    /// <param name="batch">The batch.</param>
    public void AddBatch(MockBatchRecord batch) => _batches.Add(batch);

    /// <summary>Finds a batch by id, deleted ones included.</summary>
    /// <param name="id">The batch id.</param>
    /// <returns>The batch, or <see langword="null"/>.</returns>
    public MockBatchRecord? FindBatch(string id) => _batches.Find(b => b.Id == id);

    /// <summary>The run order of a new batch's requests: shuffled by the seed and the batch's number, or input order without a seed.</summary>
    /// <param name="count">The number of requests.</param>
    /// <param name="seed">The seed; <see langword="null"/> for input order.</param>
    /// <param name="ordinal">The batch's number, so batches of one seed are not all shuffled alike.</param>
    /// <returns>A permutation of 0..count-1.</returns>
    public static int[] RunOrder(int count, int? seed, int ordinal)
    {
        var order = Enumerable.Range(0, count).ToArray();
        if (seed is { } value)
        {
#pragma warning disable CA5394 // Deterministic shuffling for tests, not security.
            new Random(unchecked((value * 397) ^ ordinal)).Shuffle(order);
#pragma warning restore CA5394
        }

        return order;
    }
}
