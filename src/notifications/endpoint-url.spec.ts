import { endpointUrlProblem, hostAllowed, isRefusedAddress } from './endpoint-url';

describe('endpoint URL rules', () => {
  it.each(['169.254.169.254', '169.254.0.1', 'fd00:ec2::254', 'fe80::1', '::ffff:169.254.169.254'])('refuses %s', (address) => {
    expect(isRefusedAddress(address)).toBe(true);
  });

  it.each(['127.0.0.1', '10.0.0.5', '::1', 'fd00:ec2::253', 'orders.internal'])('lets %s through', (address) => {
    expect(isRefusedAddress(address)).toBe(false);
  });

  it('names the problem with a URL', () => {
    expect(endpointUrlProblem('http://169.254.169.254/latest', [])).toMatch(/link-local or cloud metadata/);
    expect(endpointUrlProblem('http://[fd00:ec2::254]:80/', [])).toMatch(/link-local or cloud metadata/);
    expect(endpointUrlProblem('http://0xA9FEA9FE/', [])).toMatch(/link-local or cloud metadata/);
    expect(endpointUrlProblem('file:///etc/passwd', [])).toMatch(/http or https/);
    expect(endpointUrlProblem('not a url', [])).toMatch(/absolute http\(s\) URL/);
    expect(endpointUrlProblem('https://orders.internal/hook', [])).toBeNull();
  });

  it('restricts hosts to NOTIFICATION_ALLOWED_HOSTS when set', () => {
    const allowed = ['orders.internal', '*.svc.local'];
    expect(hostAllowed('orders.internal', allowed)).toBe(true);
    expect(hostAllowed('billing.svc.local', allowed)).toBe(true);
    expect(hostAllowed('svc.local', allowed)).toBe(false);
    expect(hostAllowed('evilsvc.local', allowed)).toBe(false);
    expect(hostAllowed('other.internal', allowed)).toBe(false);
    expect(endpointUrlProblem('https://other.internal/', allowed)).toMatch(/not in NOTIFICATION_ALLOWED_HOSTS/);
  });
});
