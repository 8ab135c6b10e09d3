namespace AgentBatch.Testing;

/// <summary>A file the mock's OpenAI file endpoints hold: one a client uploaded, or a batch's output or error file.</summary>
/// <remarks>An immutable snapshot; deleting the file makes a new snapshot with <see cref="IsDeleted"/> set.</remarks>
public sealed class MockBatchFile
{
    internal MockBatchFile(string id, string filename, string purpose, BinaryData content, DateTimeOffset createdAt, string? batchId, bool isDeleted = false)
    {
        Id = id;
        Filename = filename;
        Purpose = purpose;
        Content = content;
        CreatedAt = createdAt;
        BatchId = batchId;
        IsDeleted = isDeleted;
    }

    /// <summary>Gets the file id, such as <c>file-mock-000001</c>.</summary>
    public string Id { get; }

    /// <summary>Gets the file name the client uploaded it with, or the name the batch gave its output.</summary>
    public string Filename { get; }

    /// <summary>Gets the purpose: <c>batch</c> for an uploaded input file, <c>batch_output</c> for a batch's output or error file.</summary>
    public string Purpose { get; }

    /// <summary>Gets the file's bytes.</summary>
    public BinaryData Content { get; }

    /// <summary>Gets the file's size in bytes.</summary>
    public long Bytes => Content.ToMemory().Length;

    /// <summary>Gets the file's content as UTF-8 text.</summary>
    public string Text => Content.ToString();

    /// <summary>Gets the file's nonblank lines, in order: for a JSONL file, one JSON object each.</summary>
    public IReadOnlyList<string> Lines => Text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Gets when the file was created, on the server's clock.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>Gets the id of the batch that wrote this file, or <see langword="null"/> for an uploaded file.</summary>
    public string? BatchId { get; }

    /// <summary>Gets a value indicating whether a client deleted the file (<c>DELETE /v1/files/{id}</c>).</summary>
    public bool IsDeleted { get; }

    /// <summary>The same file, deleted.</summary>
    internal MockBatchFile AsDeleted() => new(Id, Filename, Purpose, Content, CreatedAt, BatchId, isDeleted: true);
}
