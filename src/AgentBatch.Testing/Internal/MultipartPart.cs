namespace AgentBatch.Testing.Internal;

/// <summary>One part of a <c>multipart/form-data</c> body.</summary>
/// <param name="Name">The form field name.</param>
/// <param name="FileName">The file name, for a file field.</param>
/// <param name="Content">The part's bytes.</param>
internal sealed record MultipartPart(string Name, string? FileName, byte[] Content);
