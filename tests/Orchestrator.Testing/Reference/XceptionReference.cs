namespace Orchestrator.Testing;

/// <summary>
/// A PyTorch Xception with the parameter names of timm's legacy_xception (Cadene's pretrainedmodels layout; timm is
/// not installed), for Debian's python3: defines <c>model</c>, <c>backbone_state()</c> and <c>features(x)</c>.
/// </summary>
public static class XceptionReference
{
    public const string Python = """
        from torch import nn

        class SepConv(nn.Module):
            def __init__(self, cin, cout):
                super().__init__()
                self.conv1 = nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False)
                self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)
            def forward(self, x):
                return self.pointwise(self.conv1(x))

        class XBlock(nn.Module):
            def __init__(self, cin, cout, reps, stride, relu_first, widen_first):
                super().__init__()
                if cin != cout or stride != 1:
                    self.skip = nn.Conv2d(cin, cout, 1, stride=stride, bias=False)
                    self.skipbn = nn.BatchNorm2d(cout)
                else:
                    self.skip = None
                widths = [cin] + ([cout] * reps if widen_first else [cin] * (reps - 1) + [cout])
                layers = []
                for i in range(reps):
                    if i > 0 or relu_first:
                        layers.append(nn.ReLU())
                    layers += [SepConv(widths[i], widths[i + 1]), nn.BatchNorm2d(widths[i + 1])]
                if stride != 1:
                    layers.append(nn.MaxPool2d(3, stride, 1))
                self.rep = nn.Sequential(*layers)
            def forward(self, x):
                shortcut = self.skipbn(self.skip(x)) if self.skip is not None else x
                return self.rep(x) + shortcut

        class LegacyXception(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(3, 32, 3, 2, bias=False)
                self.bn1 = nn.BatchNorm2d(32)
                self.conv2 = nn.Conv2d(32, 64, 3, bias=False)
                self.bn2 = nn.BatchNorm2d(64)
                specs = [(64, 128, 2, 2, False, True), (128, 256, 2, 2, True, True), (256, 728, 2, 2, True, True)]
                specs += [(728, 728, 3, 1, True, True)] * 8 + [(728, 1024, 2, 2, True, False)]
                for i, spec in enumerate(specs, 1):
                    setattr(self, "block%d" % i, XBlock(*spec))
                self.conv3 = SepConv(1024, 1536)
                self.bn3 = nn.BatchNorm2d(1536)
                self.conv4 = SepConv(1536, 2048)
                self.bn4 = nn.BatchNorm2d(2048)
                self.fc = nn.Linear(2048, 1000)
            def forward_features(self, x):
                x = torch.relu(self.bn1(self.conv1(x)))
                x = torch.relu(self.bn2(self.conv2(x)))
                for i in range(1, 13):
                    x = getattr(self, "block%d" % i)(x)
                x = torch.relu(self.bn3(self.conv3(x)))
                return torch.relu(self.bn4(self.conv4(x)))

        model = LegacyXception()
        # timm's legacy_xception has 22,855,952 parameters; a layout slip would change the count.
        assert sum(p.numel() for p in model.parameters()) == 22855952
        def backbone_state():
            return {k: v for k, v in model.state_dict().items() if not k.startswith("fc.")}
        def features(x):
            return torch.nn.functional.adaptive_avg_pool2d(model.forward_features(x), 1).flatten(1)
        """;
}
