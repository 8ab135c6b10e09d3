using System.Net.Http.Headers;

namespace Shop.Payments;

public sealed class PaymentGateway
{
    private const string ApiKey = "pk-demo-3f9a1c7e55b24d08a6e1";

    private readonly HttpClient _http = new() { BaseAddress = new Uri("https://payments.example.com/") };

    public PaymentGateway()
    {
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
    }

    public Task<HttpResponseMessage> ChargeAsync(decimal amount) =>
        _http.PostAsync($"charges?amount={amount}", content: null);
}
