using Microsoft.Extensions.AI;

namespace AgentBatch.Internal;

/// <summary>Grouped requests: several text items answered by one model call, split in half when the reply does not answer each.</summary>
internal sealed partial class ItemExecutor<TItem, TOutput>
{
    /// <summary>Runs a group under one deadline (its splits included) and returns one result per member, in member order.</summary>
    public async Task<List<BatchItemResult<TItem, TOutput>>> RunGroupAsync(List<GroupMember<TItem>> group)
    {
        var results = new List<BatchItemResult<TItem, TOutput>>(group.Count);
        if (_stop.State is { CancelInFlight: false })
        {
            results.AddRange(group.Select(member => Skipped(member.Index, member.Item)));
            return results;
        }

        // ItemTimeout bounds each member from the moment its group starts, through every split of the group.
        using var deadline = ItemDeadline.Start(_options.ItemTimeout, _timeProvider, _stop.InFlightToken);
        await RunGroupAsync(group, results, deadline).ConfigureAwait(false);
        return results;
    }

    /// <summary>Runs one grouped call; splits the group in half and recurses when its reply does not answer every item.</summary>
    private async Task RunGroupAsync(List<GroupMember<TItem>> group, List<BatchItemResult<TItem, TOutput>> results, ItemDeadline? deadline)
    {
        if (group.Count == 1)
        {
            // Down to one item: an ordinary call, whose reply needs no parsing.
            var member = group[0];
            results.Add(member.WithCarried(await RunAsync(member.Index, member.Item, member.Input, deadline).ConfigureAwait(false)));
            return;
        }

        var started = _timeProvider.GetTimestamp();
        var context = new BatchItemContext(group[0].Index, group.Count, _policy, responseFormat: null, deadline?.Token ?? _stop.InFlightToken);
        using var activity = AgentBatchTelemetry.StartItem(group[0].Index);
        ChatResponse response;
        string[]? answers;
        try
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            var agent = _agentFactory(group[0].Index)
                ?? throw new InvalidOperationException($"The agent factory returned null for item {group[0].Index}.");
            BatchItemContext.Enter(context);
            response = Answered(agent, context, await agent.RunAsync([new ChatMessage(ChatRole.User, GroupedPrompt.Build(group.Select(m => m.Input.Text!).ToList()))], context.CancellationToken).ConfigureAwait(false));
            answers = GroupedPrompt.TryParse(response.Text, group.Count);
        }
        catch (Exception ex)
        {
            var (status, error) = Classify(ex, context, deadline, default);
            var shares = Share(context, group, null);
            var duration = _timeProvider.GetElapsedTime(started);
            for (var i = 0; i < group.Count; i++)
            {
                results.Add(group[i].WithCarried(Finish(group[i].Index, group[i].Item, status, default, error, context, shares[i], duration, activity)));
            }

            return;
        }

        if (answers is null)
        {
            // What the unusable reply spent still belongs to its items.
            var spent = Share(context, group, null);
            for (var i = 0; i < group.Count; i++)
            {
                group[i].Carry(spent[i].Usage, spent[i].Cost, context.Attempts);
            }

            var half = group.Count / 2;
            await RunGroupAsync(group.Take(half).ToList(), results, deadline).ConfigureAwait(false);
            await RunGroupAsync(group.Skip(half).ToList(), results, deadline).ConfigureAwait(false);
            return;
        }

        var split = Share(context, group, answers);
        var elapsed = _timeProvider.GetElapsedTime(started);
        for (var i = 0; i < group.Count; i++)
        {
            var reply = new ChatResponse(new ChatMessage(ChatRole.Assistant, answers[i]))
            {
                ModelId = response.ModelId,
                ResponseId = response.ResponseId,
                CreatedAt = response.CreatedAt,
                FinishReason = response.FinishReason,
                Usage = split[i].Usage,
            };

            BatchItemStatus status;
            TOutput? output = default;
            Exception? error = null;
            try
            {
                output = _output.Read(reply);
                status = BatchItemStatus.Succeeded;
            }
            catch (Exception ex)
            {
                status = BatchItemStatus.Failed;
                error = ex;
            }

            results.Add(group[i].WithCarried(Finish(group[i].Index, group[i].Item, status, output, error, context, split[i], elapsed, activity)));
        }
    }

    /// <summary>Shares a grouped call's usage and cost out: input by each item's tokens, output by each answer's length.</summary>
    private static MemberShare[] Share(BatchItemContext context, List<GroupMember<TItem>> group, string[]? answers)
    {
        var shares = new MemberShare[group.Count];
        var usage = context.Usage;
        var total = context.Cost;
        if (usage is null && total == 0)
        {
            Array.Fill(shares, new MemberShare(null, 0m));
            return shares;
        }

        var inputWeights = group.Select(m => (long)Math.Max(1, m.Tokens)).ToArray();
        var outputWeights = answers?.Select(a => (long)Math.Max(1, a.Length)).ToArray() ?? inputWeights;
        var inputs = Apportion(usage?.InputTokenCount ?? 0, inputWeights);
        var outputs = Apportion(usage?.OutputTokenCount ?? 0, outputWeights);
        var totalTokens = (usage?.InputTokenCount ?? 0) + (usage?.OutputTokenCount ?? 0);
        var costLeft = total;
        for (var i = 0; i < group.Count; i++)
        {
            var itemTokens = inputs[i] + outputs[i];
            decimal? cost = null;
            if (total is { } known)
            {
                cost = i == group.Count - 1
                    ? costLeft
                    : totalTokens == 0 ? known / group.Count : Math.Round(known * itemTokens / totalTokens, 12);
                costLeft -= cost;
            }

            shares[i] = new MemberShare(
                usage is null ? null : new UsageDetails { InputTokenCount = inputs[i], OutputTokenCount = outputs[i], TotalTokenCount = itemTokens },
                cost);
        }

        return shares;
    }

    /// <summary>Splits a whole number by weights so that the parts add up to it exactly.</summary>
    private static long[] Apportion(long total, long[] weights)
    {
        var sum = weights.Sum();
        var parts = new long[weights.Length];
        var given = 0L;
        for (var i = 0; i < weights.Length - 1; i++)
        {
            parts[i] = total * weights[i] / sum;
            given += parts[i];
        }

        parts[^1] = total - given;
        return parts;
    }
}

/// <summary>One member's share of a grouped call's usage and cost.</summary>
internal readonly record struct MemberShare(UsageDetails? Usage, decimal? Cost);
