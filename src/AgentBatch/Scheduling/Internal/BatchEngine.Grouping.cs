using Microsoft.Extensions.AI;

namespace AgentBatch.Internal;

/// <summary>Grouping: several items answered by one model call, under a per-request token budget.</summary>
internal sealed partial class BatchEngine<TItem, TOutput>
{
    private async Task DispatchGroupsAsync(ItemReader<TItem> reader)
    {
        var counter = _calls.TokenCounter;
        var maxItems = _options.MaxItemsPerRequest;
        var maxTokens = _options.MaxTokensPerRequest;
        var group = new List<GroupMember>(maxItems);
        var groupTokens = 0L;

        while (Volatile.Read(ref _stopRequested) == 0 && await TryReadNextAsync(reader).ConfigureAwait(false))
        {
            var index = _started++;
            var item = reader.Current;
            GroupMember member;
            try
            {
                var input = MapInput(index, item);
                member = new GroupMember(index, item, input, counter.CountTokens(input));
                var alone = GroupedPrompt.FramingTokens(counter, 1) + member.Tokens;
                if (maxTokens is { } limit && alone > limit)
                {
                    throw new InvalidOperationException(
                        $"Batch item {index} needs {alone} tokens in a grouped request, more than MaxTokensPerRequest ({limit}); it was not sent.");
                }
            }
            catch (Exception ex)
            {
                await CompleteAsync(new BatchItemResult<TOutput>(index, BatchItemStatus.Failed, default, ex, null, 0m, 0, TimeSpan.Zero)).ConfigureAwait(false);
                continue;
            }

            var full = group.Count == maxItems
                || (maxTokens is { } budget && GroupedPrompt.FramingTokens(counter, group.Count + 1) + groupTokens + member.Tokens > budget);
            if (group.Count > 0 && full)
            {
                if (!await StartGroupAsync(group).ConfigureAwait(false))
                {
                    group = [member];
                    break;
                }

                group = new List<GroupMember>(maxItems);
                groupTokens = 0;
            }

            group.Add(member);
            groupTokens += member.Tokens;
        }

        if (group.Count > 0 && Volatile.Read(ref _stopRequested) == 0)
        {
            await StartGroupAsync(group).ConfigureAwait(false);
        }
        else
        {
            await SkipAllAsync(group).ConfigureAwait(false);
        }
    }

    /// <summary>Starts a group when a slot frees up; <see langword="false"/> (and the group skipped) when the batch stopped first.</summary>
    private async Task<bool> StartGroupAsync(List<GroupMember> group)
    {
        if (!await AcquireSlotAsync().ConfigureAwait(false))
        {
            await SkipAllAsync(group).ConfigureAwait(false);
            return false;
        }

        Interlocked.Increment(ref _pending);
        _ = RunGroupAsync(group);
        return true;
    }

    private async Task SkipAllAsync(List<GroupMember> group)
    {
        try
        {
            foreach (var member in group)
            {
                await CompleteAsync(Skipped(member.Index)).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_abandon.IsCancellationRequested)
        {
        }
    }

    private async Task RunGroupAsync(List<GroupMember> group)
    {
        await Task.Yield();
        AgentBatchMetrics.ItemsInFlight(group.Count);
        try
        {
            var results = new List<BatchItemResult<TOutput>>(group.Count);
            await ExecuteGroupAsync(group, results).ConfigureAwait(false);
            foreach (var result in results)
            {
                await CompleteAsync(result).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_abandon.IsCancellationRequested)
        {
        }
        finally
        {
            AgentBatchMetrics.ItemsInFlight(-group.Count);
            ReleaseSlot();
            ItemFinished();
        }
    }

    /// <summary>Runs one grouped call; splits the group in half and recurses when its reply does not answer every item.</summary>
    private async Task ExecuteGroupAsync(IReadOnlyList<GroupMember> group, List<BatchItemResult<TOutput>> results)
    {
        if (group.Count == 1)
        {
            // Down to one item: an ordinary call, whose reply needs no parsing.
            var single = await ExecuteAsync(group[0].Index, group[0].Item).ConfigureAwait(false);
            results.Add(group[0].WithCarried(single));
            return;
        }

        var started = _timeProvider.GetTimestamp();
        var context = new BatchItemContext(group[0].Index, _calls) { GroupSize = group.Count };
        ChatResponse response;
        string[]? answers;
        try
        {
            _stop.Token.ThrowIfCancellationRequested();
            var agent = _agentFactory(group[0].Index)
                ?? throw new InvalidOperationException($"The agent factory returned null for item {group[0].Index}.");
            response = await RunAgentAsync(agent, GroupedPrompt.Build(group.Select(m => m.Input).ToList()), context, _stop.Token).ConfigureAwait(false);
            answers = GroupedPrompt.TryParse(response.Text, group.Count);
        }
        catch (Exception ex)
        {
            var (status, error) = ex switch
            {
                OperationCanceledException when _stop.IsCancellationRequested => (BatchItemStatus.Canceled, ex),
                BudgetExceededException { ExceedsCap: false } budget => (context.Attempts == 0 ? BatchItemStatus.Skipped : BatchItemStatus.Failed, budget),
                _ => (BatchItemStatus.Failed, ex),
            };
            if (ex is BudgetExceededException { ExceedsCap: false } refusal)
            {
                RequestStop(refusal.Limit == BudgetLimit.Cost ? BatchStopReason.CostLimitReached : BatchStopReason.TokenLimitReached, drain: true, skipReason: refusal, cancelInFlight: false);
            }

            var shares = Share(context, group, null);
            for (var i = 0; i < group.Count; i++)
            {
                results.Add(group[i].WithCarried(new BatchItemResult<TOutput>(
                    group[i].Index, status, default, error, shares[i].Usage, shares[i].Cost, context.Attempts, _timeProvider.GetElapsedTime(started))));
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
            await ExecuteGroupAsync(group.Take(half).ToList(), results).ConfigureAwait(false);
            await ExecuteGroupAsync(group.Skip(half).ToList(), results).ConfigureAwait(false);
            return;
        }

        var split = Share(context, group, answers);
        var duration = _timeProvider.GetElapsedTime(started);
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

            BatchItemResult<TOutput> result;
            try
            {
                result = new(group[i].Index, BatchItemStatus.Succeeded, _outputMap(reply), null, split[i].Usage, split[i].Cost, context.Attempts, duration);
            }
            catch (Exception ex)
            {
                result = new(group[i].Index, BatchItemStatus.Failed, default, ex, split[i].Usage, split[i].Cost, context.Attempts, duration);
            }

            results.Add(group[i].WithCarried(result));
        }
    }

    /// <summary>Shares a grouped call's usage and cost out: input by each item's tokens, output by each answer's length.</summary>
    private static (UsageDetails? Usage, decimal Cost)[] Share(BatchItemContext context, IReadOnlyList<GroupMember> group, string[]? answers)
    {
        var shares = new (UsageDetails?, decimal)[group.Count];
        var usage = context.Usage;
        if (usage is null && context.Cost == 0)
        {
            return shares;
        }

        var inputWeights = group.Select(m => (long)Math.Max(1, m.Tokens)).ToArray();
        var outputWeights = answers?.Select(a => (long)Math.Max(1, a.Length)).ToArray() ?? inputWeights;
        var inputs = Apportion(usage?.InputTokenCount ?? 0, inputWeights);
        var outputs = Apportion(usage?.OutputTokenCount ?? 0, outputWeights);
        var totalTokens = (usage?.InputTokenCount ?? 0) + (usage?.OutputTokenCount ?? 0);
        var costLeft = context.Cost;
        for (var i = 0; i < group.Count; i++)
        {
            var itemTokens = inputs[i] + outputs[i];
            var cost = i == group.Count - 1
                ? costLeft
                : totalTokens == 0 ? context.Cost / group.Count : Math.Round(context.Cost * itemTokens / totalTokens, 12);
            costLeft -= cost;
            shares[i] = (usage is null ? null : new UsageDetails { InputTokenCount = inputs[i], OutputTokenCount = outputs[i], TotalTokenCount = itemTokens }, cost);
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

    /// <summary>An item waiting in, or running as part of, a group, with what earlier unusable group replies spent on it.</summary>
    private sealed class GroupMember(int index, TItem item, string input, int tokens)
    {
        private UsageDetails? _carriedUsage;
        private decimal _carriedCost;
        private int _carriedAttempts;

        public int Index { get; } = index;

        public TItem Item { get; } = item;

        public string Input { get; } = input;

        public int Tokens { get; } = tokens;

        public void Carry(UsageDetails? usage, decimal cost, int attempts)
        {
            if (usage is not null)
            {
                (_carriedUsage ??= new UsageDetails()).Add(usage);
            }

            _carriedCost += cost;
            _carriedAttempts += attempts;
        }

        public BatchItemResult<TOutput> WithCarried(BatchItemResult<TOutput> result)
        {
            if (_carriedUsage is null && _carriedCost == 0 && _carriedAttempts == 0)
            {
                return result;
            }

            var usage = result.Usage;
            if (_carriedUsage is not null)
            {
                usage = new UsageDetails();
                usage.Add(_carriedUsage);
                if (result.Usage is not null)
                {
                    usage.Add(result.Usage);
                }
            }

            return new BatchItemResult<TOutput>(
                result.Index, result.Status, result.Output, result.Error, usage, result.Cost + _carriedCost, result.Attempts + _carriedAttempts, result.Duration);
        }
    }
}
