using Orchestrator.Testing;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Orchestrator.Catalogue.Tests;

/// <summary>A fact of a shared suite (declared on an abstract base class): skipped, loudly, in those concrete
/// classes marked <see cref="RequiresPostgresAttribute"/> when no PostgreSQL test server is configured.</summary>
[XunitTestCaseDiscoverer("Orchestrator.Catalogue.Tests.SuiteFactDiscoverer", "Orchestrator.Catalogue.Tests")]
public sealed class SuiteFactAttribute : FactAttribute;

public sealed class SuiteFactDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        yield return new SuiteTestCase(diagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(),
            discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod);
    }
}

public sealed class SuiteTestCase : XunitTestCase
{
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public SuiteTestCase() { }

    public SuiteTestCase(IMessageSink sink, TestMethodDisplay display, TestMethodDisplayOptions options, ITestMethod method)
        : base(sink, display, options, method) { }

    protected override string? GetSkipReason(IAttributeInfo factAttribute)
    {
        var needsPostgres = TestMethod.TestClass.Class.GetCustomAttributes(typeof(RequiresPostgresAttribute)).Any();
        return needsPostgres && PostgresTestServer.Url is null ? PostgresTestServer.SkipReason : base.GetSkipReason(factAttribute);
    }
}
