import { emailChangedMail, maskAddress } from '../../app/mail/templates/email-changed';
import { emailVerificationMail } from '../../app/mail/templates/email-verification';
import { describeDuration } from '../../app/mail/templates/html';

describe('mail templates', () => {
  const link = 'https://auth.example.com/#/verify?token=abc_DEF-123';

  it('puts the link in both bodies and escapes what a user gave in the HTML', () => {
    const mail = emailVerificationMail({ username: '<img src=x onerror=alert(1)>&"\'', link, ttlSeconds: 86_400 });
    expect(mail.subject).toBe('Confirm your email address');
    expect(mail.text).toContain(`\n${link}\n`);
    expect(mail.html).toContain(`<a href="${link}">${link}</a>`);
    expect(mail.html).not.toContain('<img');
    expect(mail.html).toContain('&#60;img src=x onerror=alert(1)&#62;&#38;&#34;&#39;');
    expect(mail.text).toContain('for 24 hours');
  });

  it('tells the old address of a change, masked, without a link', () => {
    const mail = emailChangedMail({ username: 'b<o>b', newEmail: 'Robert@example.org', changedAt: new Date('2030-01-02T03:04:05Z') });
    expect(mail.subject).toBe('Your email address was changed');
    expect(mail.text).toContain('The email address of your account b<o>b was changed to R***@example.org on Wed, 02 Jan 2030 03:04:05 GMT.');
    expect(mail.html).toContain('b&#60;o&#62;b');
    expect(mail.html).not.toContain('<o>');
    for (const body of [mail.text, mail.html]) expect(body).not.toMatch(/Robert|https?:|<a /);
  });

  it('masks all of the local part but its first character, and says durations in whole units', () => {
    expect(['a@x.org', 'élodie@x.org', '"quoted@odd"@x.org'].map(maskAddress)).toEqual(['a***@x.org', 'é***@x.org', '"***@x.org']);
    expect([86_400, 1_800, 3_600, 172_800, 259_200, 90].map(describeDuration)).toEqual(['24 hours', '30 minutes', '1 hour', '48 hours', '3 days', '90 seconds']);
  });
});
