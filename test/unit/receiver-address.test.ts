import {
  checkedLookup,
  postToReceiver,
  ReceiverAddressRefused,
  receiverAddressProblem,
} from '../../activities/webhooks/receiver-address';
import { receiver, type WebhookReceiver } from '../support/webhook-receiver';

describe('where a webhook may be posted: public addresses only, loopback when allowed', () => {
  it.each([
    ['10.1.2.3'],
    ['172.16.0.1'],
    ['172.31.255.255'],
    ['192.168.1.1'],
    ['169.254.169.254'], // a cloud's metadata service
    ['100.64.0.1'],
    ['0.0.0.0'],
    ['224.0.0.1'],
    ['255.255.255.255'],
    ['::'],
    ['fd00::1'],
    ['fe80::1'],
    ['ff02::1'],
    ['::ffff:10.0.0.1'], // IPv4 written as IPv6
    ['::ffff:a9fe:a9fe'], // 169.254.169.254 in hex
  ])('refuses %s', (ip) => {
    expect(receiverAddressProblem(ip, true)).toMatch(/not a public address/);
  });

  it.each([['127.0.0.1'], ['127.8.9.10'], ['::1'], ['::ffff:127.0.0.1'], ['::ffff:7f00:1']])(
    'refuses loopback %s unless allowed',
    (ip) => {
      expect(receiverAddressProblem(ip, false)).toMatch(/loopback .*WEBHOOK_ALLOW_LOOPBACK_HTTP/);
      expect(receiverAddressProblem(ip, true)).toBeUndefined();
    },
  );

  it.each([['93.184.215.14'], ['8.8.8.8'], ['172.32.0.1'], ['2606:4700::1111'], ['::ffff:8.8.8.8']])(
    'lets %s through',
    (ip) => {
      expect(receiverAddressProblem(ip, false)).toBeUndefined();
    },
  );

  it('resolves a name and refuses it when it leads to an address refused', async () => {
    const lookup = checkedLookup(false);
    const error = await new Promise((resolve) => lookup('localhost', {}, (e) => resolve(e)));
    expect(error).toBeInstanceOf(ReceiverAddressRefused);
    const allowed = await new Promise<string>((resolve, reject) =>
      checkedLookup(true)('localhost', {}, (e, address) => (e ? reject(e) : resolve(address as string))),
    );
    expect(receiverAddressProblem(allowed, true)).toBeUndefined();
  });

  describe('posting to a real receiver on loopback', () => {
    let local: WebhookReceiver;
    beforeAll(async () => {
      local = await receiver([204]);
    });
    afterAll(() => local.close());

    const post = (host: string, allowLoopback: boolean) =>
      postToReceiver(local.url.replace('127.0.0.1', host), {
        headers: { 'content-type': 'application/json' },
        body: '{"n":1}',
        timeoutMs: 5000,
        allowLoopback,
      });

    it('posts when loopback is allowed, by address and by name, and answers the status', async () => {
      await expect(post('127.0.0.1', true)).resolves.toBe(204);
      await expect(post('localhost', true)).resolves.toBe(204);
      expect(local.received.map((r) => r.body)).toEqual(['{"n":1}', '{"n":1}']);
    });

    it('never connects when it is not: by address, by name', async () => {
      local.received.length = 0;
      await expect(post('127.0.0.1', false)).rejects.toBeInstanceOf(ReceiverAddressRefused);
      await expect(post('localhost', false)).rejects.toBeInstanceOf(ReceiverAddressRefused);
      expect(local.received).toEqual([]);
    });
  });
});
